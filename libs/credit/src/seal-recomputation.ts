import { Injectable } from '@nestjs/common';
import { Transactions, type Tx } from '@loomworks/database';
import type { BrokenSeal } from './domain/seals';
import { LedgerVerificationRepository } from './persistence/ledger-verification.repository';

/** Seals recomputed per query: a few hundred thousand flows, so the connections share the work evenly. */
const SEALS_PER_CHUNK = 8;
/** Connections besides the caller's that recompute seals: the chain is the bulk of verify?full. */
const HELPERS = 2;

/**
 * verify?full's seal recomputation, spread over several connections that share the caller's
 * snapshot (pg_export_snapshot / SET TRANSACTION SNAPSHOT), so the report is still of one instant.
 * Seals are chained, but each one's digest over its flows only needs the previous seal's stored
 * hash (brokenSeals), so any range of seals can be recomputed on its own. Helpers take chunks of
 * seals from one queue while the caller runs its other checks (`meanwhile`); the caller then takes
 * chunks too, so no connection idles while another still has work.
 *
 * The chunks are taken starting where the previous pass over the flows ended, alternating
 * direction: newest first on the first call (the sealer, and the writes, last read the newest
 * flows), then oldest first, and so on. A pass reads the ledger through shared_buffers by index,
 * and a ledger larger than the cache evicts, pass after pass, each page just before it is read
 * again (1 M flows, 182 MB of heap beside the default 128 MB). Starting with the pages the cache
 * still holds reads those from it, before the pass evicts them: a fresh backend then writes ~4 k
 * pages it never touched instead of ~33 k (each a page fault, which is what made the first call
 * the slowest), and every pass copies ~60% fewer pages from the OS and checks fewer checksums.
 * The order changes nothing else: the broken seals are sorted by id before they are returned.
 */
@Injectable()
export class SealRecomputation {
  /** The direction of the next pass (see above). */
  private newestFirst = true;

  constructor(
    private readonly transactions: Transactions,
    private readonly verification: LedgerVerificationRepository,
  ) {}

  /** The broken seals with ids in [first, last] in `tx`'s snapshot, beside `meanwhile`'s result (run on `tx`). */
  async inParallel<T>(tx: Tx, first: string, last: string, meanwhile: () => Promise<T>): Promise<[BrokenSeal[], T]> {
    const queue: [string, string][] = [];
    for (let from = BigInt(first); from <= BigInt(last); from += BigInt(SEALS_PER_CHUNK)) {
      const to = from + BigInt(SEALS_PER_CHUNK) - 1n;
      queue.push([from.toString(), (to < BigInt(last) ? to : BigInt(last)).toString()]);
    }
    if (this.newestFirst) queue.reverse();
    this.newestFirst = !this.newestFirst;
    const broken: BrokenSeal[] = [];
    const drain = async (t: Tx) => {
      for (let chunk = queue.shift(); chunk; chunk = queue.shift()) broken.push(...(await this.verification.brokenSeals(t, chunk[0], chunk[1])));
    };
    const snapshot = queue.length > 1 ? await this.verification.exportSnapshot(tx) : null;
    const helpers = snapshot
      ? Array.from({ length: Math.min(HELPERS, queue.length - 1) }, () =>
          this.transactions.run(async (t) => {
            await this.verification.importSnapshot(t, snapshot);
            await drain(t);
          }, 'REPEATABLE READ'),
        )
      : [];
    const own = (async () => {
      const result = await meanwhile();
      await drain(tx);
      return result;
    })();
    // Every connection finishes (the exported snapshot lives as long as `tx`) before a failure is thrown.
    const settled = await Promise.allSettled([own, ...helpers]);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    broken.sort((a, b) => (BigInt(a.sealId) < BigInt(b.sealId) ? -1 : 1));
    return [broken, (settled[0] as PromiseFulfilledResult<T>).value];
  }
}
