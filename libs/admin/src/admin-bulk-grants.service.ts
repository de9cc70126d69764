import { Inject, Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { parse } from 'csv-parse/sync';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { DomainError, ValidationFailedError } from '@loomworks/common';
import { grantView, IneligibleEmailError } from '@loomworks/credit';
import { GrantsService } from '@loomworks/credit/staff';
import { IdempotencyService, Transactions, type Tx } from '@loomworks/database';
import { Outbox } from '@loomworks/outbox';
import type { Person } from '@loomworks/persons';
import { SecretBox } from '@loomworks/system-config';
import { AuditService } from './audit.service';
import { IdempotencyKeyRequiredError, TooManyRowsError } from './domain/errors';
import { BulkGrantRowDto } from './http/dto';
import type { BulkGrantItemSchema, BulkGrantResultSchema } from './views';

/** API.md: at most this many data rows per upload (more → 413). */
export const MAX_BULK_ROWS = 10_000;
const REQUIRED_COLUMNS = ['recipientEmail', 'asset', 'kind', 'amount'];
const COLUMNS = [...REQUIRED_COLUMNS, 'expiresInDays', 'note'];
const NUMERIC = new Set(['amount', 'expiresInDays']);

/** Thrown out of a dry run's transaction so that it rolls back, carrying the answer. */
class DryRun extends Error {
  constructor(readonly result: BulkGrantResultSchema) {
    super('dry run');
  }
}

/**
 * Bulk grants (API.md `POST /admin/grants/bulk`). Every row goes through the one issuing service
 * (GrantsService.issue: eligibility under the mailbox lock, registry, grant), then its claim mail
 * is queued and the issue audited — each row inside a savepoint, so a row that fails is reported
 * and the others stand. The whole upload is one transaction with its idempotency record: a crash
 * issues nothing, and a retry with the same key answers the first result (claim URLs sealed at
 * rest). A dry run runs exactly the same code and rolls back: `would_issue` means the real run
 * would issue that row then. An address repeated within the file is `ineligible` after its first
 * row, because its first row's grant is already in the registry the next one is checked against.
 */
@Injectable()
export class AdminBulkGrantsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly idempotency: IdempotencyService,
    private readonly audit: AuditService,
    private readonly grants: GrantsService,
    private readonly secrets: SecretBox,
    private readonly outbox: Outbox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async issue(actor: Person, body: unknown, dryRun: boolean, idempotencyKey?: string): Promise<BulkGrantResultSchema> {
    const rows = typeof body === 'string' ? parseCsv(body) : jsonRows(body);
    if (rows.length > MAX_BULK_ROWS) throw new TooManyRowsError(MAX_BULK_ROWS);
    if (dryRun) {
      try {
        await this.transactions.run(async (tx) => {
          throw new DryRun(await this.issueRows(tx, actor, rows, true));
        });
      } catch (error) {
        if (error instanceof DryRun) return error.result;
        throw error;
      }
    }
    if (idempotencyKey === undefined) throw new IdempotencyKeyRequiredError();
    return this.idempotency.run(
      `admin.grants.bulk:${actor.id}`,
      idempotencyKey,
      { rows },
      (tx) => this.issueRows(tx, actor, rows, false, idempotencyKey),
      this.secrets.responseSeal<BulkGrantResultSchema>(),
    );
  }

  private async issueRows(tx: Tx, actor: Person, rows: unknown[], dryRun: boolean, key?: string): Promise<BulkGrantResultSchema> {
    const items: BulkGrantItemSchema[] = [];
    for (const [index, raw] of rows.entries()) {
      const row = index + 1;
      const checked = checkRow(raw);
      if (typeof checked === 'string') {
        items.push({ row, status: 'invalid', error: checked });
        continue;
      }
      await tx.query('SAVEPOINT bulk_grant_row');
      try {
        const issued = await this.grants.issue({ ...checked, amount: BigInt(checked.amount), issuedBy: actor.id }, tx);
        if (dryRun) {
          items.push({ row, status: 'would_issue' });
        } else {
          const { grant, claimToken } = issued;
          const claimUrl = `${this.config.publicOrigin}/claim?token=${encodeURIComponent(claimToken)}`;
          await this.outbox.enqueueMail(tx, {
            template: 'claim_link',
            to: grant.recipientEmail,
            params: { claimUrl, asset: grant.asset, amount: grant.amount.toString(), expiresAt: grant.expiresAt.toISOString() },
          });
          await this.audit.record(tx, {
            actorPersonId: actor.id,
            action: 'grant.issue',
            subjectType: 'grant',
            subjectId: grant.id,
            details: { asset: grant.asset, amount: checked.amount, kind: grant.kind, overrideEligibility: false, note: checked.note ?? null, bulk: { key, row } },
          });
          items.push({ row, status: 'issued', grant: grantView(grant), claimUrl });
        }
        await tx.query('RELEASE SAVEPOINT bulk_grant_row');
      } catch (error) {
        await tx.query('ROLLBACK TO SAVEPOINT bulk_grant_row');
        if (error instanceof IneligibleEmailError) items.push({ row, status: 'ineligible', eligibility: error.eligibility, error: error.message });
        else if (error instanceof DomainError) items.push({ row, status: 'invalid', error: `${error.code}: ${error.message}` });
        else throw error;
      }
    }
    return { items, issued: items.filter((i) => i.status === 'issued').length };
  }
}

/** The data rows of a CSV upload as records (its header names the columns); a malformed file is a 400. */
function parseCsv(text: string): unknown[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, {
      bom: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim());
        const unknown = names.filter((n) => !COLUMNS.includes(n));
        const missing = REQUIRED_COLUMNS.filter((n) => !names.includes(n));
        if (unknown.length || missing.length || new Set(names).size !== names.length) {
          throw new ValidationFailedError([{ field: 'header', message: `the header is ${COLUMNS.slice(0, 4).join(',')}[,expiresInDays][,note]` }]);
        }
        return names;
      },
      skip_empty_lines: true,
      trim: true,
      // one row past the limit is enough to refuse the file
      to: MAX_BULK_ROWS + 1,
    });
  } catch (error) {
    if (error instanceof ValidationFailedError) throw error;
    throw new ValidationFailedError([{ field: 'body', message: `not a readable CSV file: ${(error as Error).message}` }]);
  }
  return records.map((r) =>
    Object.fromEntries(
      Object.entries(r)
        .filter(([, value]) => value !== '')
        .map(([name, value]) => [name, NUMERIC.has(name) && /^-?\d+$/.test(value) ? Number(value) : value]),
    ),
  );
}

function jsonRows(body: unknown): unknown[] {
  const grants = (body as { grants?: unknown } | null)?.grants;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(grants) || Object.keys(body).length !== 1) {
    throw new ValidationFailedError([{ field: 'grants', message: 'the body is {grants: [...]} or a text/csv file' }]);
  }
  return grants;
}

/** A row's fields when valid, else why not (a sentence naming the fields). */
function checkRow(raw: unknown): BulkGrantRowDto | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'a row is an object of recipientEmail, asset, kind, amount[, expiresInDays][, note]';
  const row = plainToInstance(BulkGrantRowDto, raw);
  const errors = validateSync(row, { whitelist: true, forbidNonWhitelisted: true });
  return errors.length === 0 ? row : errors.map(describe).join('; ');
}

const describe = (e: ValidationError) => `${e.property}: ${Object.values(e.constraints ?? {}).join(', ') || 'invalid'}`;
