import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, worstCaseTurnSeconds, type AppConfig } from '@loomworks/config';
import { jsonAmount, type TokenKind } from '@loomworks/credit';
import { OracleService, TierModelsCheck } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
import { InvalidSettingError, isSecretSetting, settingBounds, settingKey, SystemConfigService, type SettingKey, type SettingRange } from '@loomworks/system-config';
import { AuditService } from './audit.service';
import type { RateTableSchema, SettingSchema, SettingsSchema } from './views';

/** Staff's settings use cases: the rate table and system config, each change audited. */
@Injectable()
export class AdminSettingsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly oracle: OracleService,
    private readonly settings: SystemConfigService,
    private readonly tierModels: TierModelsCheck,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async rates(): Promise<RateTableSchema> {
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

  async setRate(actor: Person, input: { model: string; tokenKind: TokenKind; creditsPerMillion: number }): Promise<RateTableSchema> {
    await this.transactions.run(async (tx) => {
      const row = await this.oracle.setRate({ model: input.model, tokenKind: input.tokenKind, numerator: BigInt(input.creditsPerMillion) }, tx);
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'rate.set', subjectType: 'rate', subjectId: row.id, details: { ...input } });
    });
    return this.rates();
  }

  async configView(): Promise<SettingsSchema> {
    const views = await this.settings.list();
    // The system LLM key from the environment wins over the setting (key-resolver.service.ts): say so.
    const fromEnvironment = (key: string) => key === 'anthropic_api_key' && Boolean(this.config.anthropic.apiKey);
    const secret = (key: string, isSet: boolean): Omit<SettingSchema, 'allowed'> =>
      fromEnvironment(key) ? { key, secret: true, isSet: true, source: 'environment' } : isSet ? { key, secret: true, isSet, source: 'config' } : { key, secret: true, isSet };
    return {
      items: views.map((v): SettingSchema => ({ ...(v.secret ? secret(v.key, v.isSet) : { key: v.key, secret: false, value: v.value }), ...this.bounds(v.key) })),
    };
  }

  /** A change that would leave a tier unroutable or a model unpriced is refused and rolled back (credit's invariant). */
  async setConfig(actor: Person, key: string, value: unknown): Promise<SettingsSchema> {
    const name = settingKey(key);
    const { range, allowed } = this.bounds(name);
    // The range as this server sees it (settings.set checks the key's type and its own range again).
    if (range && typeof value === 'number' && !(value >= range.min && value <= range.max)) throw new InvalidSettingError(name, allowed);
    const secret = isSecretSetting(name);
    await this.transactions.run(async (tx) => {
      await this.settings.set(name, value, tx);
      if (this.tierModels.concerns(name)) await this.tierModels.assertRoutableAndPriced(tx);
      // A secret's value never enters the trail.
      await this.audit.record(tx, { actorPersonId: actor.id, action: 'config.set', subjectType: 'config', subjectId: name, details: secret ? {} : { value } });
    });
    return this.configView();
  }

  /**
   * What a key takes, as this server sees it: the key's own range, except that a hold must
   * outlive the longest turn this server's LLM client can take (timeouts, retries, capped
   * Retry-After pauses — libs/config's worst case), or a slow turn could settle after its hold
   * expired and charge credit the hold no longer covers.
   */
  private bounds(key: SettingKey): { allowed: string; range?: SettingRange } {
    const { expected, range } = settingBounds(key);
    if (key !== 'hold_ttl_seconds' || !range) return range ? { allowed: expected, range } : { allowed: expected };
    const min = Math.max(range.min, worstCaseTurnSeconds(this.config.anthropic));
    return { allowed: `an integer from ${min} to ${range.max} (at least the worst-case turn with this server's LLM timeout, retries and retry pauses)`, range: { min, max: range.max } };
  }
}
