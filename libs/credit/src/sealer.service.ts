import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { CLOCK, type Clock } from '@loomworks/common';
import { Scheduler, Transactions } from '@loomworks/database';
import { SystemConfigService } from '@loomworks/system-config';
import { GENESIS_HASH, SEAL_MAX_FLOWS, type BrokenSeal, type Seal, type SealHorizon } from './domain/seals';
import { LedgerVerificationRepository } from './persistence/ledger-verification.repository';
import { SealsRepository } from './persistence/seals.repository';

/** How long one pass waits for the newest horizon's writers (usually milliseconds) before using an older horizon. */
const WRITER_WAIT_MS = 1_000;
const WRITER_POLL_MS = 10;
/** Horizons still waiting for a writer (a transaction held open) are kept up to this many. */
const MAX_HORIZONS = 64;
/** The reconciler recomputes at least this many older seals per run, and the whole chain at least daily. */
const MIN_ROTATION_SEALS = 10;
const DAY_SECONDS = 86_400;

/**
 * Seals the ledger (DESIGN.md "Tamper evidence"): the scheduled job `sealer`, every
 * `seal_interval_seconds` across the deployment and off the write path, appends
 * seals over every flow that is final. Flow ids are drawn before commit, so a visible flow 7 does
 * not prove flow 6 won't still commit; a pass therefore seals only up to a horizon — the highest id
 * drawn at some moment — once every transaction that was inserting flows at that moment has ended.
 * No flow can then commit at or below the horizon: none is skipped, none sealed twice, and the
 * writers never wait for the sealer (it reads pg_locks, it takes no lock on flows).
 */
@Injectable()
export class SealerService implements OnModuleInit {
  /** Horizons taken but not yet usable, oldest first. */
  private horizons: SealHorizon[] = [];
  private running?: Promise<Seal[]>;

  constructor(
    private readonly transactions: Transactions,
    private readonly seals: SealsRepository,
    private readonly verification: LedgerVerificationRepository,
    private readonly scheduler: Scheduler,
    private readonly settings: SystemConfigService,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectPinoLogger('sealer') private readonly logger: PinoLogger,
  ) {}

  onModuleInit(): void {
    this.scheduler.every('sealer', async () => (await this.settings.require('seal_interval_seconds')) * 1000, () => this.sealOnce());
  }

  /** One sealing pass; the seals it appended (none when another instance is sealing). Each is logged. */
  sealOnce(): Promise<Seal[]> {
    this.running ??= this.seal().finally(() => (this.running = undefined));
    return this.running;
  }

  private async seal(): Promise<Seal[]> {
    const usable = await this.usableHorizon();
    if (usable < 0) return [];
    const horizon = this.horizons[usable].throughFlowId;
    const written = await this.transactions.run(async (tx) => {
      if (!(await this.seals.tryLock(tx))) return null;
      const appended: Seal[] = [];
      let last = await this.seals.last(tx);
      for (;;) {
        const from = last?.toFlowId ?? '0';
        if (BigInt(from) >= BigInt(horizon) || (await this.seals.nthFlowId(tx, from, horizon, 1)) === null) break;
        const to = (await this.seals.nthFlowId(tx, from, horizon, SEAL_MAX_FLOWS)) ?? horizon;
        last = await this.seals.append(tx, {
          id: (BigInt(last?.id ?? 0) + 1n).toString(),
          fromFlowId: from,
          toFlowId: to,
          previousHash: last?.hash ?? GENESIS_HASH,
          at: this.clock.now(),
        });
        appended.push(last);
      }
      return appended;
    });
    if (written === null) return [];
    this.horizons.splice(0, usable + 1);
    // The log keeps a copy of the chain outside the database: a rewrite of flows and seals alike shows against it.
    for (const s of written) {
      this.logger.info({ sealId: s.id, fromFlowId: s.fromFlowId, toFlowId: s.toFlowId, flows: s.flows, hash: s.hash, encoding: s.encoding }, 'ledger sealed');
    }
    return written;
  }

  /**
   * Takes a new horizon (the last drawn id first, then the writers: whoever drew an id up to it
   * holds the insert lock by then) and answers the index of the newest horizon whose writers have
   * all ended, waiting briefly for the new one's; -1 when none has.
   */
  private async usableHorizon(): Promise<number> {
    const db = this.transactions.manager;
    const throughFlowId = await this.seals.lastDrawnFlowId(db);
    this.horizons.push({ throughFlowId, writers: await this.seals.flowWriters(db) });
    if (this.horizons.length > MAX_HORIZONS) this.horizons.shift();
    const deadline = Date.now() + WRITER_WAIT_MS;
    for (;;) {
      const waiting = this.horizons.flatMap((h) => h.writers);
      const still = new Set(waiting.length ? await this.seals.flowWriters(db, waiting) : []);
      for (const h of this.horizons) h.writers = h.writers.filter((w) => still.has(w));
      let usable = this.horizons.length - 1;
      while (usable >= 0 && this.horizons[usable].writers.length > 0) usable--;
      if (usable === this.horizons.length - 1 || Date.now() >= deadline) return usable;
      await new Promise((resolve) => setTimeout(resolve, WRITER_POLL_MS));
    }
  }

  /**
   * The reconciler's seal check: every seal written since its last run, plus a rotating slice of
   * older ones sized so that runs every `intervalSeconds` recompute the whole chain at least daily.
   */
  async checkRecent(intervalSeconds: number): Promise<BrokenSeal[]> {
    return this.transactions.run(async (tx) => {
      const state = await this.seals.checkState(tx);
      const last = BigInt(await this.verification.lastSealId(tx));
      const checked = BigInt(state.throughSealId);
      const broken = await this.verification.brokenSeals(tx, (checked + 1n).toString(), last.toString());
      const slice = BigInt(Math.max(MIN_ROTATION_SEALS, Math.ceil((Number(last) * intervalSeconds) / DAY_SECONDS)));
      let rotation = BigInt(state.rotationSealId);
      if (rotation > checked) rotation = 1n;
      const sliceEnd = rotation + slice - 1n < checked ? rotation + slice - 1n : checked;
      if (rotation <= sliceEnd) broken.unshift(...(await this.verification.brokenSeals(tx, rotation.toString(), sliceEnd.toString())));
      await this.seals.setCheckState(tx, last.toString(), (sliceEnd + 1n).toString());
      return broken;
    });
  }
}
