import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { mapPage } from '@loomworks/common';
import { grantView, type GrantKind, type GrantPageSchema, type GrantStatus, type IssuedGrant, type IssuedGrantSchema } from '@loomworks/credit';
import { GrantsService } from '@loomworks/credit/staff';
import { IdempotencyService, Transactions, type Tx } from '@loomworks/database';
import { Outbox, type MailStatus } from '@loomworks/outbox';
import type { Person } from '@loomworks/persons';
import { SecretBox } from '@loomworks/system-config';
import { AuditService } from './audit.service';

export interface IssueGrantInput {
  recipientEmail: string;
  asset: string;
  kind: GrantKind;
  amount: number;
  expiresInDays?: number;
  referrerPersonId?: string;
  overrideEligibility?: boolean;
  note?: string;
  /** false: don't mail the claim URL (staff hand it over themselves) */
  sendEmail?: boolean;
}

/**
 * Staff's grant use cases: issue, list, revoke, re-issue, check an address. Each write runs in one
 * transaction with its audit entry, so the trail never misses an action nor records one that rolled back.
 */
@Injectable()
export class AdminGrantsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly idempotency: IdempotencyService,
    private readonly audit: AuditService,
    private readonly grants: GrantsService,
    private readonly secrets: SecretBox,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  issueGrant(actor: Person, input: IssueGrantInput, idempotencyKey?: string) {
    return this.idempotency.run(`admin.grants:${actor.id}`, idempotencyKey, input, async (tx) => {
      const { sendEmail, ...grant } = input;
      const issued = await this.grants.issue({ ...grant, amount: BigInt(input.amount), issuedBy: actor.id }, tx);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'grant.issue',
        subjectType: 'grant',
        subjectId: issued.grant.id,
        details: { asset: input.asset, amount: input.amount, kind: input.kind, overrideEligibility: input.overrideEligibility ?? false, note: input.note ?? null },
      });
      return this.issued(tx, issued, false, sendEmail);
      // The replayable response holds the claim URL, a credential: it is stored encrypted.
    }, this.secrets.responseSeal<IssuedGrantSchema>());
  }

  async listGrants(filter: { status?: GrantStatus; email?: string; limit?: number; cursor?: string }): Promise<GrantPageSchema> {
    return mapPage(await this.grants.list(filter), grantView);
  }

  revokeGrant(actor: Person, grantId: string) {
    return this.transactions.run(async (tx) => {
      const grant = await this.grants.revoke(grantId, tx);
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'grant.revoke', subjectType: 'grant', subjectId: grantId });
      return grantView(grant);
    });
  }

  reissueGrant(actor: Person, grantId: string, options: { sendEmail?: boolean; expiresInDays?: number } = {}) {
    const { sendEmail, expiresInDays } = options;
    return this.transactions.run(async (tx) => {
      const issued = await this.grants.reissue(grantId, tx, expiresInDays);
      const details = expiresInDays === undefined ? {} : { expiresInDays };
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'grant.reissue', subjectType: 'grant', subjectId: grantId, details });
      return this.issued(tx, issued, true, sendEmail);
    });
  }

  eligibility(email: string) {
    return this.grants.checkEligibility(email);
  }

  /**
   * The answer to issue and re-issue: the claim URL, and (unless staff opted out) a mail carrying
   * it, queued in the grant's own transaction so it exists exactly when the grant does.
   */
  private async issued(tx: Tx, { grant, claimToken }: IssuedGrant, reissued: boolean, sendEmail = true) {
    const claimUrl = `${this.config.publicOrigin}/claim?token=${encodeURIComponent(claimToken)}`;
    const mail: MailStatus = sendEmail
      ? await this.outbox.enqueueMail(tx, {
          template: reissued ? 'claim_link_reissued' : 'claim_link',
          to: grant.recipientEmail,
          params: { claimUrl, asset: grant.asset, amount: grant.amount.toString(), expiresAt: grant.expiresAt.toISOString() },
        })
      : { status: 'off' };
    return { grant: grantView(grant), claimUrl, mail };
  }
}
