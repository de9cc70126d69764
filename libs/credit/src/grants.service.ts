import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, CursorCodec, paginate, ValidationFailedError, type Clock, type PageRequest } from '@loomworks/common';
import { ReadReplica, Transactions, type Tx } from '@loomworks/database';
import { Outbox } from '@loomworks/outbox';
import { PersonNotFoundError, PersonsService } from '@loomworks/persons';
import { emailHashes, type EmailHashes } from './domain/email';
import {
  AccountDeletedError,
  GrantAlreadyClaimedError,
  GrantEmailMismatchError,
  GrantExpiredError,
  GrantNotFoundError,
  GrantRevokedError,
  IneligibleEmailError,
  InvalidAmountError,
} from './domain/errors';
import {
  claimTokenHash,
  claimTokenMatches,
  grantAt,
  newClaimToken,
  type ClaimGrantCommand,
  type ClaimResult,
  type EligibilityResult,
  type Grant,
  type GrantStatus,
  type IssueGrantCommand,
  type IssuedGrant,
  type StoredGrant,
} from './domain/grant';
import { personParty, SYSTEM_ISSUER, type Page } from './domain/ledger';
import { CreditSettings } from './credit-settings';
import { LedgerService } from './ledger.service';
import { GrantsRepository } from './persistence/grants.repository';
import { jsonAmount } from './views';

const DAY_MS = 86_400_000;
const MAX_AMOUNT = BigInt(Number.MAX_SAFE_INTEGER);

@Injectable()
export class GrantsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly replica: ReadReplica,
    private readonly grants: GrantsRepository,
    private readonly ledger: LedgerService,
    private readonly persons: PersonsService,
    private readonly settings: CreditSettings,
    private readonly outbox: Outbox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async checkEligibility(email: string, tx?: Tx): Promise<EligibilityResult> {
    return this.eligibilityOf(tx ?? this.transactions.manager, emailHashes(email));
  }

  /**
   * Order matters (DESIGN.md): cooling (normalized), then exact, then normalized. Only grants
   * that are issued-and-unexpired or claimed count; revoked and expired ones don't.
   */
  private async eligibilityOf(tx: Tx, hashes: EmailHashes): Promise<EligibilityResult> {
    const now = this.clock.now();
    const coolingDays = await this.settings.coolingDays(tx);
    if (await this.grants.coolingSince(tx, hashes.normalizedHash, new Date(now.getTime() - coolingDays * DAY_MS))) {
      return { eligibility: 'cooling', matchedHash: hashes.normalizedHash };
    }
    if (await this.grants.countsAgainst(tx, 'email_hash', hashes.exactHash, now)) {
      return { eligibility: 'duplicate_exact', matchedHash: hashes.exactHash };
    }
    if (await this.grants.countsAgainst(tx, 'normalized_hash', hashes.normalizedHash, now)) {
      return { eligibility: 'duplicate_normalized', matchedHash: hashes.normalizedHash };
    }
    return { eligibility: 'eligible', matchedHash: null };
  }

  async issue(command: IssueGrantCommand, tx?: Tx): Promise<IssuedGrant> {
    const hashes = emailHashes(command.recipientEmail);
    if (command.amount <= 0n || command.amount > MAX_AMOUNT) throw new InvalidAmountError('a grant amount is a positive safe integer');
    if (command.overrideEligibility && !command.note?.trim()) {
      throw new ValidationFailedError([{ field: 'note', message: 'note is required when overriding eligibility' }]);
    }
    return this.transactions.join(tx, async (t) => {
      await this.settings.requireAsset(command.asset, t);
      // An unknown referrer is the caller's mistake (404), not a foreign-key failure (500).
      if (command.referrerPersonId && !(await this.persons.findById(command.referrerPersonId, t))) {
        throw new PersonNotFoundError(command.referrerPersonId);
      }
      // Two issues to variants of one mailbox must not both see it eligible.
      await this.grants.lockMailbox(t, hashes.normalizedHash);
      const check = await this.eligibilityOf(t, hashes);
      const metadata: Record<string, unknown> = {};
      if (check.eligibility !== 'eligible') {
        if (!command.overrideEligibility) throw new IneligibleEmailError(check.eligibility, check.matchedHash!);
        metadata.eligibilityOverride = {
          eligibility: check.eligibility,
          matchedHash: check.matchedHash,
          note: command.note!.trim(),
          by: command.issuedBy ?? null,
        };
      }
      const now = this.clock.now();
      const expiryDays = command.expiresInDays ?? (await this.settings.grantExpiryDays(t));
      const claimToken = newClaimToken();
      const row = await this.grants.insert(t, {
        id: randomUUID(),
        asset: command.asset,
        kind: command.kind,
        amount: command.amount,
        recipientEmail: hashes.address,
        emailHash: hashes.exactHash,
        normalizedHash: hashes.normalizedHash,
        tokenHash: claimTokenHash(claimToken),
        expiresAt: new Date(now.getTime() + expiryDays * DAY_MS),
        issuedBy: command.issuedBy ?? null,
        referrerPersonId: command.referrerPersonId ?? null,
        metadata,
        createdAt: now,
      });
      await this.grants.registerGrant(t, hashes.exactHash, hashes.normalizedHash, row.id, now);
      const grant = grantAt(row, now);
      // Ids and amounts only: the recipient's address is personal data, the claim token a credential.
      await this.outbox.recordEvent(t, {
        type: 'grant.issued',
        data: {
          grantId: grant.id,
          asset: grant.asset,
          kind: grant.kind,
          amount: jsonAmount(grant.amount),
          expiresAt: grant.expiresAt.toISOString(),
          issuedBy: grant.issuedBy,
          referrerPersonId: grant.referrerPersonId,
        },
      });
      return { grant, claimToken };
    });
  }

  /** The claimable grant behind a token, without claiming it (the claim page shows it first). */
  async preview(claimToken: string, tx?: Tx): Promise<Grant> {
    const manager = tx ?? this.transactions.manager;
    const row = await this.grants.byTokenHash(manager, claimTokenHash(claimToken), false);
    return this.claimable(row, claimToken).grant;
  }

  /**
   * Claims in the caller's transaction (signup creates the person in the same one). The grant row
   * is locked FOR UPDATE, so of two concurrent claims of one token the second waits, then sees
   * it claimed. The issuance flow's idempotency key `grant:<id>` backs this up in the ledger.
   */
  async claimInTransaction(tx: Tx, command: ClaimGrantCommand): Promise<ClaimResult> {
    const row = await this.grants.byTokenHash(tx, claimTokenHash(command.claimToken), true);
    const { grant, recipientHash } = this.claimable(row, command.claimToken);
    const claimer = emailHashes(command.email);
    if (claimer.exactHash !== recipientHash) throw new GrantEmailMismatchError();

    const now = this.clock.now();
    const person = await this.persons.lockById(tx, command.personId);
    if (person.accountStatus === 'deleted') throw new AccountDeletedError();
    await this.ledger.writeFlow(tx, {
      kind: 'issuance',
      asset: grant.asset,
      amount: grant.amount,
      from: SYSTEM_ISSUER,
      to: personParty(command.personId),
      personId: command.personId,
      grantId: grant.id,
      idempotencyKey: `grant:${grant.id}`,
      metadata: { grantKind: grant.kind },
    });
    await this.grants.markClaimed(tx, grant.id, command.personId, now);
    await this.grants.linkPerson(tx, claimer.exactHash, claimer.normalizedHash, command.personId, now);
    if (grant.referrerPersonId && grant.referrerPersonId !== command.personId) {
      await this.persons.setReferredBy(tx, command.personId, grant.referrerPersonId);
    }
    await this.outbox.recordEvent(tx, {
      type: 'grant.claimed',
      data: { grantId: grant.id, personId: command.personId, asset: grant.asset, amount: jsonAmount(grant.amount) },
    });
    return {
      grantId: grant.id,
      asset: grant.asset,
      amount: grant.amount,
      balanceAfter: await this.ledger.balance(command.personId, grant.asset, tx),
      referrerPersonId: grant.referrerPersonId,
    };
  }

  /** The grant behind a token if it can be claimed now, with its recipient's address hash. */
  private claimable(row: StoredGrant | null, claimToken: string): { grant: Grant; recipientHash: string } {
    if (!row || !claimTokenMatches(claimToken, row.tokenHash)) throw new GrantNotFoundError();
    const grant = grantAt(row, this.clock.now());
    switch (grant.status) {
      case 'claimed':
        throw new GrantAlreadyClaimedError();
      case 'revoked':
        throw new GrantRevokedError();
      case 'expired':
        throw new GrantExpiredError();
    }
    return { grant, recipientHash: row.emailHash };
  }

  async get(grantId: string, tx?: Tx): Promise<Grant> {
    const row = await this.grants.byId(tx ?? this.transactions.manager, grantId);
    if (!row) throw new GrantNotFoundError();
    return grantAt(row, this.clock.now());
  }

  /** Revoking is idempotent; a claimed grant cannot be revoked (its credit is the person's). */
  async revoke(grantId: string, tx?: Tx): Promise<Grant> {
    return this.transactions.join(tx, async (t) => {
      const row = await this.grants.byId(t, grantId, true);
      if (!row) throw new GrantNotFoundError();
      if (row.storedStatus === 'claimed') throw new GrantAlreadyClaimedError();
      const now = this.clock.now();
      if (row.storedStatus === 'revoked') return grantAt(row, now);
      const grant = grantAt(await this.grants.markRevoked(t, grantId, now), now);
      // Only the transition is an event: revoking again changes nothing and tells nobody.
      await this.outbox.recordEvent(t, { type: 'grant.revoked', data: { grantId: grant.id, asset: grant.asset, amount: jsonAmount(grant.amount) } });
      return grant;
    });
  }

  /**
   * A new claim token (the old one stops working). The expiry stays as it was unless
   * `expiresInDays` is given — except for a grant already past it, whose new link would be born
   * dead: that one gets the default expiry from now.
   */
  async reissue(grantId: string, tx?: Tx, expiresInDays?: number): Promise<IssuedGrant> {
    return this.transactions.join(tx, async (t) => {
      const row = await this.grants.byId(t, grantId, true);
      if (!row) throw new GrantNotFoundError();
      if (row.storedStatus === 'claimed') throw new GrantAlreadyClaimedError();
      if (row.storedStatus === 'revoked') throw new GrantRevokedError();
      const now = this.clock.now();
      const claimToken = newClaimToken();
      const days = expiresInDays ?? (row.expiresAt <= now ? await this.settings.grantExpiryDays(t) : undefined);
      const expiresAt = days === undefined ? row.expiresAt : new Date(now.getTime() + days * DAY_MS);
      const updated = await this.grants.replaceToken(t, grantId, claimTokenHash(claimToken), expiresAt);
      return { grant: grantAt(updated, now), claimToken };
    });
  }

  /** Persons linked to this address or a variant of it in the registry (claimers, deleted accounts). */
  async personIdsForEmail(email: string): Promise<string[]> {
    const hashes = emailHashes(email);
    return this.grants.personIdsFor(this.transactions.manager, hashes.exactHash, hashes.normalizedHash);
  }

  list(filter: { status?: GrantStatus; email?: string } & PageRequest): Promise<Page<Grant>> {
    const hashes = filter.email ? emailHashes(filter.email) : undefined;
    const now = this.clock.now();
    return paginate(filter, {
      cursor: GRANT_CURSOR,
      fetch: (take, after) =>
        this.grants.list(
          // An admin list: lag-tolerant: from the read replica when one is configured (DESIGN.md "Scaling and failover").
          this.replica.readOnly(),
          {
            status: filter.status,
            emailHashes: hashes && { exact: hashes.exactHash, normalized: hashes.normalizedHash },
            limit: take,
            after: after && { createdAt: after.at, id: after.id },
          },
          now,
        ),
      position: (r) => ({ at: r.createdAt, id: r.id }),
      item: (r) => grantAt(r, now),
    });
  }
}

const GRANT_CURSOR = CursorCodec.keyset('grants');
