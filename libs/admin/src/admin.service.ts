import { Inject, Injectable } from '@nestjs/common';
import { SessionsService } from '@loomworks/auth';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import {
  asPersonFlow,
  creditSummaryView,
  CREDIT_SEAM,
  flowView,
  grantView,
  jsonAmount,
  type CreditSeam,
  type Grant,
  type GrantKind,
  type GrantStatus,
  type IssuedGrant,
  type IssuedGrantSchema,
  type TokenKind,
} from '@loomworks/credit';
import { GrantsService, LedgerService, OracleService } from '@loomworks/credit/staff';
import { IdempotencyService, Transactions, type Tx } from '@loomworks/database';
import { anonymizedEmail, PersonsService, toPersonView, type Person } from '@loomworks/persons';
import { Outbox, type MailStatus } from '@loomworks/outbox';
import { InvalidSettingError, SecretBox, SETTINGS, settingKey, SystemConfigService, type SettingKey } from '@loomworks/system-config';
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

type AccountAction = 'suspend' | 'reactivate' | 'delete';

/** Settings that name tiers or models: a change must leave every tier routable and every model priced. */
const MODEL_SETTINGS = new Set<SettingKey>([
  'credit_tier_priority',
  'credit_tier_responder_models',
  'converse_default_classifier_model',
  'converse_default_responder_model',
]);

/**
 * The admin use cases. Each runs in one transaction with its audit entry, so the trail never
 * misses an action nor records one that rolled back.
 */
@Injectable()
export class AdminService {
  constructor(
    private readonly transactions: Transactions,
    private readonly idempotency: IdempotencyService,
    private readonly audit: AuditService,
    private readonly grants: GrantsService,
    private readonly ledger: LedgerService,
    private readonly oracle: OracleService,
    private readonly persons: PersonsService,
    private readonly sessions: SessionsService,
    private readonly settings: SystemConfigService,
    private readonly secrets: SecretBox,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly outbox: Outbox,
  ) {}

  private claimUrl(claimToken: string): string {
    return `${this.config.publicOrigin}/claim?token=${encodeURIComponent(claimToken)}`;
  }

  /**
   * The answer to issue and re-issue: the claim URL, and (unless staff opted out) a mail carrying
   * it, queued in the grant's own transaction so it exists exactly when the grant does.
   */
  private async issued(tx: Tx, { grant, claimToken }: IssuedGrant, reissued: boolean, sendEmail = true) {
    const claimUrl = this.claimUrl(claimToken);
    const mail: MailStatus = sendEmail
      ? await this.outbox.enqueueMail(tx, {
          template: reissued ? 'claim_link_reissued' : 'claim_link',
          to: grant.recipientEmail,
          params: { claimUrl, asset: grant.asset, amount: grant.amount.toString(), expiresAt: grant.expiresAt.toISOString() },
        })
      : { status: 'off' };
    return { grant: grantView(grant), claimUrl, mail };
  }

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

  async listGrants(filter: { status?: GrantStatus; email?: string; limit?: number; cursor?: string }) {
    const page = await this.grants.list(filter);
    return { items: page.items.map(grantView), nextCursor: page.nextCursor };
  }

  revokeGrant(actor: Person, grantId: string) {
    return this.transactions.run(async (tx) => {
      const grant: Grant = await this.grants.revoke(grantId, tx);
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'grant.revoke', subjectType: 'grant', subjectId: grantId });
      return grantView(grant);
    });
  }

  reissueGrant(actor: Person, grantId: string, sendEmail?: boolean) {
    return this.transactions.run(async (tx) => {
      const issued = await this.grants.reissue(grantId, tx);
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'grant.reissue', subjectType: 'grant', subjectId: grantId });
      return this.issued(tx, issued, true, sendEmail);
    });
  }

  eligibility(email: string) {
    return this.credit.checkEligibility(email);
  }

  /** Suspend, reactivate or delete; deletion also ends every session, in the same transaction. */
  changeAccount(actor: Person, personId: string, action: AccountAction) {
    return this.transactions.run(async (tx) => {
      let person: Person;
      let details: Record<string, unknown> = {};
      if (action === 'suspend') person = await this.credit.suspendAccount(personId, tx);
      else if (action === 'reactivate') person = await this.credit.reactivateAccount(personId, tx);
      else {
        person = await this.credit.deleteAccount(personId, tx);
        details = { endedSessions: await this.sessions.endAll(tx, personId) };
      }
      await this.audit.record(tx, { actorPersonId: actor.id, action: `person.${action}`, subjectType: 'person', subjectId: personId, details });
      return toPersonView(person);
    });
  }

  /** With an Idempotency-Key, a retried adjustment answers the first flow instead of adjusting twice. */
  adjust(actor: Person, personId: string, input: { asset: string; amount: number; reason: string }, idempotencyKey?: string) {
    return this.idempotency.run(`admin.adjustments:${actor.id}:${personId}`, idempotencyKey, input, async (tx) => {
      await this.persons.getById(personId, tx);
      const flow = await this.ledger.adjust({ personId, asset: input.asset, amount: BigInt(input.amount), reason: input.reason, actorPersonId: actor.id }, tx);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: 'person.adjust',
        subjectType: 'person',
        subjectId: personId,
        details: { asset: input.asset, amount: input.amount, reason: input.reason, flowId: flow.id },
      });
      return flowView(asPersonFlow(flow, personId));
    });
  }

  async personCredit(personId: string, page: { limit?: number; cursor?: string }) {
    await this.persons.getById(personId);
    const [credit, flows] = await Promise.all([this.ledger.creditSummary(personId), this.ledger.flows(personId, page)]);
    const { balances, holds } = creditSummaryView(credit);
    return { balances, holds, flows: flows.items.map(flowView), nextCursor: flows.nextCursor };
  }

  /** By the exact or normalized address; deleted persons by the hash their anonymised address keeps. */
  async searchPersons(email: string) {
    const linked = await this.grants.personIdsForEmail(email);
    const found = await this.persons.findMatching(linked, [email, anonymizedEmail(email)]);
    return { items: found.map(toPersonView) };
  }

  async verifyLedger() {
    const report = await this.ledger.verify();
    return {
      ok: report.ok,
      checkedFlows: report.checkedFlows,
      drift: report.drift.map((d) => ({ party: d.party, asset: d.asset, balance: jsonAmount(d.balance), sumOfFlows: jsonAmount(d.sumOfFlows) })),
      unbalancedAssets: report.unbalancedAssets.map((u) => ({ asset: u.asset, sum: jsonAmount(u.sum) })),
      duplicateIdempotencyKeys: report.duplicateIdempotencyKeys,
      heldMismatch: report.heldMismatch.map((h) => ({ asset: h.asset, held: jsonAmount(h.held), activeHolds: jsonAmount(h.activeHolds) })),
      unexplainedNegativeBalances: report.unexplainedNegativeBalances.map((n) => ({ personId: n.personId, asset: n.asset, balance: jsonAmount(n.balance) })),
    };
  }

  async rates() {
    const rows = await this.oracle.currentRates();
    return {
      items: rows.map((r) => ({
        id: r.id,
        model: r.model,
        tokenKind: r.tokenKind,
        creditsPerMillion: r.denominator === 1n ? jsonAmount(r.numerator) : `${r.numerator}/${r.denominator}`,
        effectiveFrom: r.effectiveFrom.toISOString(),
      })),
    };
  }

  async setRate(actor: Person, input: { model: string; tokenKind: TokenKind; creditsPerMillion: number }) {
    await this.transactions.run(async (tx) => {
      const row = await this.oracle.setRate({ model: input.model, tokenKind: input.tokenKind, numerator: BigInt(input.creditsPerMillion) }, tx);
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'rate.set', subjectType: 'rate', subjectId: row.id, details: { ...input } });
    });
    return this.rates();
  }

  async configView() {
    const views = await this.settings.list();
    return { items: views.map((v) => (v.secret ? { key: v.key, secret: true, isSet: v.isSet } : { key: v.key, secret: false, value: v.value })) };
  }

  async setConfig(actor: Person, key: string, value: unknown) {
    const name = settingKey(key);
    const secret = (SETTINGS[name] as { secret?: boolean }).secret === true;
    await this.transactions.run(async (tx) => {
      await this.settings.set(name, value, tx);
      if (MODEL_SETTINGS.has(name)) await this.assertModelsPriced(tx);
      // A secret's value never enters the trail.
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'config.set', subjectType: 'config', subjectId: name, details: secret ? {} : { value } });
    });
    return this.configView();
  }

  /**
   * Refuses (rolling the change back) a tier without a responder model, or a model without input
   * and output rates — either would fail every turn that reaches it, after the LLM was paid.
   */
  private async assertModelsPriced(tx: Tx): Promise<void> {
    const [priority, responders, classifier, defaultResponder] = await this.settings.requireMany(
      ['credit_tier_priority', 'credit_tier_responder_models', 'converse_default_classifier_model', 'converse_default_responder_model'] as const,
      tx,
    );
    const rates = await this.oracle.currentRates(tx);
    const unrouted = priority.filter((asset) => !responders[asset]);
    if (unrouted.length) throw new InvalidSettingError('credit_tier_responder_models', `a model for every tier (missing: ${unrouted.join(', ')})`);
    const priced = (model: string) => ['input', 'output'].every((kind) => rates.some((r) => r.model === model && r.tokenKind === kind));
    const unpriced = [...new Set([classifier, defaultResponder, ...priority.map((a) => responders[a])])].filter((m) => !priced(m));
    if (unpriced.length) throw new InvalidSettingError('models', `priced first: no input/output rates for ${unpriced.join(', ')} (PUT /admin/rates)`);
  }
}
