import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import type { Tx } from '@loomworks/database';
import { Outbox } from '@loomworks/outbox';
import { InvalidAmountError, RefundExceedsChargeError } from './domain/errors';
import type { Flow } from './domain/ledger';
import { LedgerRepository } from './persistence/ledger.repository';
import { mapLedgerErrors } from './persistence/ledger-errors';
import { jsonAmount } from './views';

const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);

/** What is refunded and why: the charge (its consumption flows' keys, in the order they give back) and the references it is known by. */
export interface RefundCommand {
  /** the consumption flows' idempotency keys: 'turn:<turn>:<stage>', 'authorization:<id>:capture' */
  chargeKeys: string[];
  /** credits; absent: all that is left of the charge */
  amount?: bigint;
  reason: string;
  actorPersonId: string;
  /** what the refund names (turnId, callId or authorizationId), kept on its flows and its event */
  subject: { turnId?: string; callId?: string; authorizationId?: string };
}

export interface RefundResult {
  refundId: string;
  payer: string;
  asset: string;
  refunded: bigint;
  totalRefunded: bigint;
  charged: bigint;
  /** a deleted person's refund: what was zeroed again to system:void (0 for a live payer) */
  voided: bigint;
  /** the reversal flows, then a deleted person's zeroing flows */
  flows: Flow[];
}

/**
 * Refunds (DESIGN.md "Authorizations and refunds"): one statement (sql/refund_charges.sql) under
 * the payer's lock writes the reversal flows and subtracts them from the spend counters (and zeroes
 * a deleted person's refund again to system:void, as their settlements are); the
 * `credit.refunded` event goes in the same transaction (the caller's, with its audit entry).
 * Answers null when nothing was charged under the keys (the caller knows which 404 that is).
 */
@Injectable()
export class RefundsService {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async refund(tx: Tx, command: RefundCommand): Promise<RefundResult | null> {
    if (command.amount !== undefined && (command.amount <= 0n || command.amount > MAX_AMOUNT)) throw new InvalidAmountError('a refund gives back a positive amount of at most 2^53−1');
    if (command.reason.trim() === '') throw new InvalidAmountError('a refund needs a reason');
    const refundId = randomUUID();
    const [row]: { outcome: string; payer: string | null; asset: string | null; charged: string | null; refunded: string | null; total_refunded: string | null; flow_ids: string[] | null; voided: string | null }[] =
      await mapLedgerErrors(
        tx.query(
          `SELECT outcome, payer, asset, charged::text AS charged, refunded::text AS refunded, total_refunded::text AS total_refunded, flow_ids::text[] AS flow_ids, voided::text AS voided
             FROM credit.refund_charges(p_refund => $1, p_keys => $2, p_amount => $3, p_metadata => $4, p_at => $5)`,
          [
            refundId,
            command.chargeKeys,
            command.amount?.toString() ?? null,
            JSON.stringify({ reason: command.reason.trim(), actorPersonId: command.actorPersonId, ...command.subject }),
            this.clock.now(),
          ],
        ),
      );
    if (row.outcome === 'not_found') return null;
    if (row.outcome === 'refund_exceeds_charge') throw new RefundExceedsChargeError(BigInt(row.charged!), BigInt(row.total_refunded!));
    const result: RefundResult = {
      refundId,
      payer: row.payer!,
      asset: row.asset!,
      refunded: BigInt(row.refunded!),
      totalRefunded: BigInt(row.total_refunded!),
      charged: BigInt(row.charged!),
      voided: BigInt(row.voided!),
      flows: await this.ledger.flowsByIds(tx, row.flow_ids!),
    };
    await this.outbox.recordEvent(tx, {
      type: 'credit.refunded',
      data: {
        refundId,
        ...command.subject,
        payer: result.payer,
        personId: result.payer.startsWith('person:') ? result.payer.slice('person:'.length) : null,
        engagementId: result.payer.startsWith('engagement:') ? result.payer.slice('engagement:'.length) : null,
        asset: result.asset,
        amount: jsonAmount(result.refunded),
        totalRefunded: jsonAmount(result.totalRefunded),
        charged: jsonAmount(result.charged),
        voided: jsonAmount(result.voided),
      },
    });
    return result;
  }
}
