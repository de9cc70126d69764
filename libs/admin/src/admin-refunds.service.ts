import { Injectable } from '@nestjs/common';
import { ValidationFailedError } from '@loomworks/common';
import { AuthorizationNotFoundError, asPartyFlow, flowView, jsonAmount, RefundExceedsChargeError } from '@loomworks/credit';
import { AuthorizationsService, RefundsService } from '@loomworks/credit/staff';
import { IdempotencyService, type Tx } from '@loomworks/database';
import { LlmCallLog } from '@loomworks/llm';
import type { Person } from '@loomworks/persons';
import { AuditService } from './audit.service';
import { CallNotFoundError, TurnNotFoundError } from './domain/errors';
import type { RefundSchema } from './views';

export interface RefundInput {
  turnId?: string;
  callId?: string;
  authorizationId?: string;
  amount?: number;
  reason: string;
}

/** A charge's consumption keys as the settle and capture statements write them. */
const TURN_STAGE_KEY = /^turn:([0-9a-f-]{36}):(classify|respond|request)$/;

/**
 * Staff refund a charge (DESIGN.md "Authorizations and refunds"): a turn (its stages, respond
 * first), one LLM call (a turn's stage or a Messages API request) or a captured authorization,
 * whole or in part, never more than it charged in total. One transaction: the reversal flows and
 * `credit.refunded` (credit), the call log's refunded amounts (usage counts charged minus
 * refunds), the audit entry; with an Idempotency-Key a retry answers the first refund. A deleted
 * person's refund is made the same way and zeroed again to system:void (its flows answer both).
 */
@Injectable()
export class AdminRefundsService {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly refunds: RefundsService,
    private readonly authorizations: AuthorizationsService,
    private readonly calls: LlmCallLog,
    private readonly audit: AuditService,
  ) {}

  refund(actor: Person, input: RefundInput, idempotencyKey?: string): Promise<RefundSchema> {
    const named = (['turnId', 'callId', 'authorizationId'] as const).filter((k) => input[k] !== undefined);
    if (named.length !== 1) throw new ValidationFailedError([{ field: 'turnId', message: 'exactly one of turnId, callId and authorizationId is required' }]);
    return this.idempotency.run(`admin.refunds:${actor.id}`, idempotencyKey, input, async (tx) => {
      const { chargeKeys, notFound, subjectType, subjectId } = await this.charge(tx, input);
      const result = await this.refunds.refund(tx, {
        chargeKeys,
        amount: input.amount === undefined ? undefined : BigInt(input.amount),
        reason: input.reason,
        actorPersonId: actor.id,
        subject: { turnId: input.turnId, callId: input.callId, authorizationId: input.authorizationId },
      });
      if (!result) throw notFound();
      for (const flow of result.flows) {
        const match = TURN_STAGE_KEY.exec(String(flow.metadata.chargeKey ?? ''));
        if (!match) continue;
        await this.calls.addRefund(tx, match[2] === 'request' ? { id: match[1] } : { turnId: match[1], stage: match[2] }, flow.amount);
      }
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'refund.create',
        subjectType,
        subjectId,
        details: {
          refundId: result.refundId,
          payer: result.payer,
          asset: result.asset,
          amount: jsonAmount(result.refunded),
          totalRefunded: jsonAmount(result.totalRefunded),
          voided: jsonAmount(result.voided),
          reason: input.reason,
          flowIds: result.flows.map((f) => f.id),
        },
      });
      return {
        refunded: jsonAmount(result.refunded),
        totalRefunded: jsonAmount(result.totalRefunded),
        flows: result.flows.map((f) => flowView(asPartyFlow(f, result.payer))),
      };
    });
  }

  /** The consumption keys of what the request names, and its 404 when nothing was charged. */
  private async charge(tx: Tx, input: RefundInput) {
    if (input.turnId !== undefined) {
      return {
        chargeKeys: [`turn:${input.turnId}:respond`, `turn:${input.turnId}:classify`],
        notFound: () => new TurnNotFoundError(),
        subjectType: 'turn' as const,
        subjectId: input.turnId,
      };
    }
    if (input.callId !== undefined) {
      const call = await this.calls.byId(input.callId, tx);
      if (!call) throw new CallNotFoundError();
      const key = call.source === 'messages' ? `turn:${call.id}:request` : call.turnId && call.stage ? `turn:${call.turnId}:${call.stage}` : null;
      const nothing = () => new RefundExceedsChargeError(0n, 0n);
      return { chargeKeys: key ? [key] : [], notFound: nothing, subjectType: 'llm_call' as const, subjectId: call.id };
    }
    const id = input.authorizationId!;
    const authorization = await this.authorizations.get(id).catch((error: unknown) => {
      if (error instanceof AuthorizationNotFoundError) return null;
      throw error;
    });
    if (!authorization) throw new AuthorizationNotFoundError();
    return { chargeKeys: [`authorization:${id}:capture`], notFound: () => new RefundExceedsChargeError(0n, 0n), subjectType: 'authorization' as const, subjectId: id };
  }
}
