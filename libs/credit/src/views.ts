/**
 * API.md's JSON shapes of credit data: each shape is one class, which the OpenAPI document
 * describes and the view function below returns, so the two cannot drift. Amounts are bigint
 * inside and JSON integers outside; writes keep balances within ±(2^53−1), which JSON carries
 * exactly, and a view never fails on a stored value (see jsonAmount).
 */
import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { PageOf } from '@loomworks/common';
import { MailStatusSchema } from '@loomworks/outbox';
import { GRANT_KINDS, GRANT_STATUSES, type Grant, type GrantKind, type GrantStatus } from './domain/grant';
import { FLOW_KINDS, type FlowKind, type PersonFlow } from './domain/ledger';
import type { Balance } from './domain/tiers';
import { HOLD_STATUSES, type CreditSummary, type Hold, type HoldStatus } from './domain/holds';

export class BalanceSchema {
  @ApiProperty({ example: 'sonnet' }) asset!: string;
  @ApiProperty({ description: 'integer credits spendable now; negative after an overdraft' }) amount!: number;
  @ApiProperty({ description: 'integer credits reserved by turns in flight' }) held!: number;
}

export class HoldViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() asset!: string;
  @ApiProperty({ description: 'positive integer credits reserved' }) amount!: number;
  @ApiProperty({ enum: HOLD_STATUSES }) status!: HoldStatus;
  @ApiProperty({ format: 'uuid', description: 'the assistant turn the hold is for' }) turnId!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class TierSchema {
  @ApiProperty({ example: 'sonnet' }) asset!: string;
  @ApiProperty({ example: 'claude-haiku-4-5-20251001' }) classifierModel!: string;
  @ApiProperty({ example: 'claude-sonnet-4-6' }) responderModel!: string;
}

export class CreditViewSchema {
  @ApiProperty({ type: [BalanceSchema] }) balances!: BalanceSchema[];
  @ApiProperty({ type: TierSchema, nullable: true }) tier!: TierSchema | null;
  @ApiProperty({ type: [HoldViewSchema], description: 'the active holds' }) holds!: HoldViewSchema[];
}

export class LedgerBalanceSchema {
  @ApiProperty({ example: 'sonnet' }) asset!: string;
  @ApiProperty({ description: 'integer credits of the ledger balance at that instant (0 before the first flow)' }) amount!: number;
}

/** `?asOf=`: the ledger balances at a past instant. */
export class CreditAsOfSchema {
  @ApiProperty({ type: [LedgerBalanceSchema] }) balances!: LedgerBalanceSchema[];
  @ApiProperty({ format: 'date-time', description: 'the instant asked for; flows created at or before it count' }) asOf!: string;
}

export const creditAsOfView = (balances: Balance[], at: Date): CreditAsOfSchema => ({
  balances: balances.map((b) => ({ asset: b.asset, amount: jsonAmount(b.amount) })),
  asOf: at.toISOString(),
});

/** A credit route that answers `now` (its own shape) or, with `?asOf=`, CreditAsOfSchema. */
export const ApiCreditOrAsOf = (now: Type) =>
  applyDecorators(
    ApiExtraModels(now, CreditAsOfSchema),
    ApiOkResponse({ description: 'with `asOf`: the ledger balances at that instant', schema: { oneOf: [{ $ref: getSchemaPath(now) }, { $ref: getSchemaPath(CreditAsOfSchema) }] } }),
  );

/** API.md `/admin/ledger/export`'s columns. */
export const LEDGER_CSV_COLUMNS = ['id', 'created_at', 'kind', 'asset', 'amount', 'from_party', 'to_party', 'person_id', 'grant_id', 'idempotency_key', 'seal_id'] as const;
/** API.md `/me/flows.csv`'s columns (`reference`: the flow's idempotency key). */
export const MEMBER_FLOW_CSV_COLUMNS = ['id', 'created_at', 'kind', 'asset', 'amount', 'direction', 'counterparty', 'reference'] as const;

export class GrantViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() asset!: string;
  @ApiProperty({ enum: GRANT_KINDS }) kind!: GrantKind;
  @ApiProperty() amount!: number;
  @ApiProperty() recipientEmail!: string;
  @ApiProperty({ enum: GRANT_STATUSES }) status!: GrantStatus;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) issuedBy!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) referrerPersonId!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) claimedByPersonId!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) claimedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class FlowViewSchema {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: FLOW_KINDS }) kind!: FlowKind;
  @ApiProperty() asset!: string;
  @ApiProperty({ description: 'positive integer credits' }) amount!: number;
  @ApiProperty({ enum: ['in', 'out'] }) direction!: 'in' | 'out';
  @ApiProperty({ example: 'system:consumed' }) counterparty!: string;
  @ApiProperty({ nullable: true, type: String }) idempotencyKey!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class FlowPageSchema extends PageOf(FlowViewSchema) {}

export class GrantPageSchema extends PageOf(GrantViewSchema) {}

export class IssuedGrantSchema {
  @ApiProperty({ type: GrantViewSchema }) grant!: GrantViewSchema;
  @ApiProperty({ example: 'https://credits.example.com/claim?token=…', description: 'shown once' }) claimUrl!: string;
  @ApiProperty({ type: MailStatusSchema, description: 'the claim URL mailed to the recipient' }) mail!: MailStatusSchema;
}

/**
 * An amount as a JSON integer. The ledger keeps every person's balance within ±(2^53−1)
 * (sql/apply_flow.sql), so amounts shown are exact; a stored value beyond it (written before that
 * check, or a total over many parties) is shown as the nearest number rather than failing the view.
 */
export function jsonAmount(amount: bigint): number {
  return Number(amount);
}

export const balanceView = (b: Balance & { held?: bigint }): BalanceSchema => ({ asset: b.asset, amount: jsonAmount(b.amount), held: jsonAmount(b.held ?? 0n) });

export function holdView(h: Hold): HoldViewSchema {
  return {
    id: h.id,
    asset: h.asset,
    amount: jsonAmount(h.amount),
    status: h.status,
    turnId: h.turnId,
    expiresAt: h.expiresAt.toISOString(),
    createdAt: h.createdAt.toISOString(),
  };
}

/** API.md's credit view: balances with what is held, the tier, and the active holds. */
export function creditSummaryView(c: CreditSummary): CreditViewSchema {
  return { balances: c.balances.map(balanceView), tier: c.tier, holds: c.holds.map(holdView) };
}

export function flowView(f: PersonFlow): FlowViewSchema {
  return {
    id: f.id,
    kind: f.kind,
    asset: f.asset,
    amount: jsonAmount(f.amount),
    direction: f.direction,
    counterparty: f.counterparty,
    idempotencyKey: f.idempotencyKey,
    metadata: f.metadata,
    createdAt: f.createdAt.toISOString(),
  };
}

/**
 * Metadata a member may see on their own flows: references to their own holds, turns and grants
 * and which model a charge was for. Staff's notes (an adjustment's reason) and staff ids never
 * reach a member (DESIGN: What members see).
 */
const MEMBER_METADATA = ['holdId', 'turnId', 'grantId', 'stage', 'model', 'tokens', 'classifier', 'responder', 'authorizationId', 'refundId'];

/** A flow as its member sees it (/me/flows): flowView with only MEMBER_METADATA kept. */
export function memberFlowView(f: PersonFlow): FlowViewSchema {
  const metadata = Object.fromEntries(Object.entries(f.metadata).filter(([key]) => MEMBER_METADATA.includes(key)));
  return { ...flowView(f), metadata };
}

export function grantView(g: Grant): GrantViewSchema {
  return {
    id: g.id,
    asset: g.asset,
    kind: g.kind,
    amount: jsonAmount(g.amount),
    recipientEmail: g.recipientEmail,
    status: g.status,
    expiresAt: g.expiresAt.toISOString(),
    issuedBy: g.issuedBy,
    referrerPersonId: g.referrerPersonId,
    claimedByPersonId: g.claimedByPersonId,
    claimedAt: g.claimedAt?.toISOString() ?? null,
    createdAt: g.createdAt.toISOString(),
  };
}
