/**
 * Tamper evidence (DESIGN.md): seals chain SHA-256 hashes over the flows' canonical lines.
 * The encoding itself is SQL (SealsRepository.sealDigest) so that an auditor's psql prints the
 * very bytes the sealer hashed; README "Auditing the ledger" writes it out.
 */

/** The "previous hash" of the first seal. */
export const GENESIS_HASH = '0'.repeat(64);

/** A seal covers at most this many flows, so recomputing one stays a few megabytes of text. */
export const SEAL_MAX_FLOWS = 10_000;

export interface Seal {
  id: string;
  /** exclusive */
  fromFlowId: string;
  /** inclusive */
  toFlowId: string;
  flows: number;
  hash: string;
  sealedAt: Date;
  /** how its flows were encoded (SealsRepository: 1 JSON lines, 2 binary records, 3 binary values) */
  encoding: 1 | 2 | 3;
}

/** A seal whose hash, recomputed over the stored previous hash and its flows, differs from the stored one (or whose chain link is gone). */
export interface BrokenSeal {
  sealId: string;
  fromFlowId: string;
  toFlowId: string;
}

/**
 * The sealer's horizon: every flow id up to `throughFlowId` is final once none of `writers`
 * (the transactions that could hold such an id uncommitted) is still running.
 */
export interface SealHorizon {
  throughFlowId: string;
  writers: string[];
}
