import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, CursorCodec, paginate, ValidationFailedError, type Clock, type PageRequest } from '@loomworks/common';
import { ReadReplica, Transactions, type Tx } from '@loomworks/database';
import { PersonsService } from '@loomworks/persons';
import { AccountDeletedError, InvalidAmountError } from './domain/errors';
import {
  asPartyFlow,
  asPersonFlow,
  personParty,
  poolParty,
  SYSTEM_ISSUER,
  type Flow,
  type FlowInput,
  type LedgerDrift,
  type LedgerVerification,
  type Page,
  type PersonFlow,
} from './domain/ledger';
import { chooseTier, type Balance } from './domain/tiers';
import type { CreditSummary } from './domain/holds';
import { CreditSettings } from './credit-settings';
import { LedgerRepository } from './persistence/ledger.repository';
import { LedgerVerificationRepository, type NegativeBalance } from './persistence/ledger-verification.repository';
import { LedgerExportRepository, type FlowRange } from './persistence/ledger-export.repository';
import { SealRecomputation } from './seal-recomputation';

export interface PoolAdjustmentCommand extends Omit<AdjustmentCommand, 'personId'> {
  engagementId: string;
}

export interface AdjustmentCommand {
  personId: string;
  asset: string;
  /** signed, non-zero: positive credits the person, negative debits them */
  amount: bigint;
  reason: string;
  actorPersonId: string | null;
  idempotencyKey?: string;
}

/** The largest amount JSON carries exactly; a balance stays within ±MAX_AMOUNT (sql/apply_flow.sql). */
const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);
/** A person's flows, by flow id (decimal): admin and /me list the same positions. */
const FLOW_CURSOR = CursorCodec.sequence('flows');
/** verify() folds the tail into the checkpoint once it is this long. */
const FOLD_AFTER_FLOWS = 10_000;

/** Each (party, asset) once, in order: the touched pairs and an unbalanced asset's may overlap. */
function uniqueDrift(drift: LedgerDrift[]): LedgerDrift[] {
  const byPair = new Map(drift.map((d) => [`${d.party}\u0000${d.asset}`, d]));
  return [...byPair.values()].sort((a, b) => (a.party === b.party ? cmp(a.asset, b.asset) : cmp(a.party, b.party)));
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Writes and reads the ledger. Every write for a person first locks that person (see PersonsService.lockById). */
@Injectable()
export class LedgerService {
  constructor(
    private readonly transactions: Transactions,
    private readonly replica: ReadReplica,
    private readonly ledger: LedgerRepository,
    private readonly verification: LedgerVerificationRepository,
    private readonly exports: LedgerExportRepository,
    private readonly sealRecomputation: SealRecomputation,
    private readonly persons: PersonsService,
    private readonly settings: CreditSettings,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Appends a flow (or returns the one already under its idempotency key) in the caller's transaction. */
  async writeFlow(tx: Tx, input: FlowInput): Promise<{ flow: Flow; created: boolean }> {
    if (input.amount <= 0n || input.amount > MAX_AMOUNT) throw new InvalidAmountError('a flow moves a positive amount of at most 2^53−1');
    return this.ledger.writeFlow(tx, input, this.clock.now());
  }

  balances(personId: string, tx?: Tx): Promise<Balance[]> {
    return this.ledger.balancesOf(tx ?? this.transactions.manager, personParty(personId));
  }

  /** Spendable and held credit per asset, the active holds and the tier they buy (the credit views). */
  creditSummary(personId: string): Promise<CreditSummary> {
    return this.creditSummaryOf(personParty(personId));
  }

  /** A team pool's credit view: the same as a person's, for the engagement's party. */
  poolCreditSummary(engagementId: string): Promise<CreditSummary> {
    return this.creditSummaryOf(poolParty(engagementId));
  }

  private async creditSummaryOf(party: string): Promise<CreditSummary> {
    // One query: the settings come from memory when still of the version it read.
    const { settingsVersion, rows } = await this.ledger.creditOf(this.transactions.manager, party);
    const config = await this.settings.tierConfigAt(settingsVersion);
    return {
      balances: rows.map(({ asset, amount, held }) => ({ asset, amount, held })),
      holds: rows.flatMap((r) => r.holds),
      tier: chooseTier(rows, config),
    };
  }

  /** A person's ledger balances at a past instant (`?asOf=`), exactly, from the flows. */
  balancesAsOf(personId: string, at: Date): Promise<Balance[]> {
    return this.balancesOfPartyAsOf(personParty(personId), at);
  }

  /** A team pool's ledger balances at a past instant. */
  poolBalancesAsOf(engagementId: string, at: Date): Promise<Balance[]> {
    return this.balancesOfPartyAsOf(poolParty(engagementId), at);
  }

  private balancesOfPartyAsOf(party: string, at: Date): Promise<Balance[]> {
    if (Number.isNaN(at.getTime())) throw new ValidationFailedError([{ field: 'asOf', message: 'asOf must be an ISO 8601 instant' }]);
    if (at.getTime() > this.clock.now().getTime()) throw new ValidationFailedError([{ field: 'asOf', message: 'asOf must not be in the future' }]);
    return this.ledger.balancesAsOf(this.transactions.manager, party, at);
  }

  balance(personId: string, asset: string, tx?: Tx): Promise<bigint> {
    return this.ledger.balanceOf(tx ?? this.transactions.manager, personParty(personId), asset);
  }

  /** A person's flows, newest first. The cursor is opaque to callers. */
  flows(personId: string, request: PageRequest = {}): Promise<Page<PersonFlow>> {
    return paginate(request, {
      cursor: FLOW_CURSOR,
      // History tolerates lag: from the read replica when one is configured.
      fetch: (take, before) => this.ledger.flowsOfPerson(this.replica.readOnly(), personId, take, before?.id),
      position: (f) => ({ id: f.id }),
      item: (f) => asPersonFlow(f, personId),
    });
  }

  /** A team pool's flows (its party on either side), newest first: what staff refund a pool's charges from. */
  poolFlows(engagementId: string, request: PageRequest = {}): Promise<Page<PersonFlow>> {
    const party = poolParty(engagementId);
    return paginate(request, {
      cursor: FLOW_CURSOR,
      fetch: (take, before) => this.ledger.flowsOfPool(this.replica.readOnly(), party, take, before?.id),
      position: (f) => ({ id: f.id }),
      item: (f) => asPartyFlow(f, party),
    });
  }

  /**
   * Every flow in the range, in id order, as API.md's ledger export rows: CSV records, one a line,
   * streamed from one snapshot (constant memory), started. One at a time per exporter: a second one
   * fails at its start with ExportInProgressError.
   */
  exportLedger(range: FlowRange, exporterId: string): Promise<Readable> {
    return this.exports.ledgerCsv(this.replica.readOnly(), range, exporterId);
  }

  /** A person's own flows in the range, in id order, as the CSV records of /me/flows.csv (one export of theirs at a time, as exportLedger). */
  exportPersonFlows(personId: string, range: FlowRange): Promise<Readable> {
    return this.exports.personCsv(this.replica.readOnly(), personId, range);
  }

  /** A staff correction: credits from, or debits to, system:issuer, with the reason recorded. */
  async adjust(command: AdjustmentCommand, tx?: Tx): Promise<Flow> {
    return this.transactions.join(tx, async (t) => {
      const person = await this.persons.lockById(t, command.personId);
      if (person.accountStatus === 'deleted') throw new AccountDeletedError();
      return this.writeAdjustment(t, personParty(command.personId), command.personId, command);
    });
  }

  /** Staff fund (or debit) a team pool: the same adjustment, to the engagement's party, under its row lock. */
  async adjustPool(command: PoolAdjustmentCommand, tx?: Tx): Promise<Flow> {
    return this.transactions.join(tx, async (t) => {
      const party = poolParty(command.engagementId);
      await this.ledger.lockPayer(t, party);
      return this.writeAdjustment(t, party, null, command);
    });
  }

  private async writeAdjustment(t: Tx, party: string, personId: string | null, command: Omit<AdjustmentCommand, 'personId'>): Promise<Flow> {
    if (command.amount === 0n) throw new InvalidAmountError('an adjustment must not be zero');
    if (command.reason.trim() === '') throw new InvalidAmountError('an adjustment needs a reason');
    await this.settings.requireAsset(command.asset, t);
    const credit = command.amount > 0n;
    const { flow } = await this.writeFlow(t, {
      kind: 'adjustment',
      asset: command.asset,
      amount: credit ? command.amount : -command.amount,
      from: credit ? SYSTEM_ISSUER : party,
      to: credit ? party : SYSTEM_ISSUER,
      personId,
      idempotencyKey: command.idempotencyKey ?? null,
      metadata: { reason: command.reason.trim(), actorPersonId: command.actorPersonId },
    });
    return flow;
  }

  /**
   * The ledger's invariants, read in one snapshot: every balance equals the sum of its flows,
   * each asset's balances sum to zero, no idempotency key has two flows, system:held equals the
   * active holds, no person is below zero without the cause recorded on the flows that took them
   * there, and every seal still matches its flows. Incremental (the default) trusts only sealed
   * checkpoints: the sums of the sealed flows are kept (see LedgerVerificationRepository), so it
   * compares the balances the flows past the checkpoint touched and the watched ones (written
   * outside a flow, or a person's below zero: checkTouched says why that is every balance that can
   * be wrong, and how the zero sums and deficits follow from them; every balance of an asset that
   * doesn't sum to zero) and recomputes the seals over those flows, however long the ledger grows. `full` recomputes everything from the flows and every seal, trusting nothing kept; its
   * seals are recomputed on other connections meanwhile, in the same snapshot (SealRecomputation).
   */
  async verify(options: { full?: boolean } = {}): Promise<LedgerVerification> {
    const full = options.full === true;
    if (!full && (await this.verification.flowsPastCheckpoint(this.transactions.manager)) >= FOLD_AFTER_FLOWS) await this.checkpoint();
    return this.transactions.run(async (tx) => {
      const v = this.verification;
      const checkpoint = full ? { throughFlowId: '0', flows: 0 } : await v.checkpoint(tx);
      const lastSeal = await v.lastSealId(tx);
      const firstSeal = full ? '1' : await v.firstSealAfter(tx, checkpoint.throughFlowId);
      const checks = async () => {
        let balances: { drift: LedgerDrift[]; unbalancedAssets: { asset: string; sum: bigint }[]; negative: NegativeBalance[] };
        let newFlows: number;
        if (full) {
          // Every flow grouped in one hash aggregate: a few hundred thousand groups at 10 M flows,
          // which the default work_mem (4 MB) would sort on disk instead (~3x the time at 1 M).
          await v.prepareFullScan(tx);
          const all = await v.drift(tx, null);
          newFlows = all.flows;
          balances = { drift: all.drift, unbalancedAssets: await v.unbalancedAssets(tx), negative: await v.negativePersonBalances(tx) };
        } else {
          balances = await v.checkTouched(tx, checkpoint.throughFlowId);
          newFlows = await v.countFlowsAfter(tx, checkpoint.throughFlowId);
        }
        const { unbalancedAssets } = balances;
        // An asset that doesn't sum to zero has every one of its balances compared.
        const drift =
          !full && unbalancedAssets.length > 0
            ? [...balances.drift, ...(await v.drift(tx, checkpoint.throughFlowId, unbalancedAssets.map((u) => u.asset))).drift]
            : balances.drift;
        return {
          drift: uniqueDrift(drift),
          unbalancedAssets,
          duplicateIdempotencyKeys: await v.duplicateIdempotencyKeys(tx),
          newFlows,
          heldMismatch: await v.heldMismatch(tx),
          unexplainedNegativeBalances: await v.unexplainedNegativeBalances(tx, balances.negative),
          sealedThrough: await v.sealedThrough(tx),
        };
      };
      const [sealBroken, { newFlows, ...found }] = full
        ? await this.sealRecomputation.inParallel(tx, firstSeal, lastSeal, checks)
        : [await v.brokenSeals(tx, firstSeal, lastSeal), await checks()];
      const ok = [found.drift, found.unbalancedAssets, found.duplicateIdempotencyKeys, found.heldMismatch, found.unexplainedNegativeBalances, sealBroken].every(
        (list) => list.length === 0,
      );
      return { ok, checkedFlows: checkpoint.flows + newFlows, ...found, sealBroken };
    }, 'REPEATABLE READ');
  }

  /**
   * Folds the sealed flows not yet folded into the verified sums: a sealed flow is final (no
   * lower id can still commit), and a later rewrite of it breaks its seal. verify() does it once
   * enough flows piled up (a short tail is cheaper to sum than to fold); the reconciler does it on
   * every run.
   */
  async checkpoint(): Promise<void> {
    await this.transactions.run(async (tx) => {
      const checkpoint = await this.verification.checkpoint(tx, true);
      const sealed = await this.verification.sealedThrough(tx);
      if (BigInt(sealed) > BigInt(checkpoint.throughFlowId)) await this.verification.fold(tx, checkpoint.throughFlowId, sealed);
    });
  }
}
