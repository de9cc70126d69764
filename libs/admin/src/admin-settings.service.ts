import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, worstCaseTurnSeconds, type AppConfig } from '@loomworks/config';
import { jsonAmount, type TokenKind } from '@loomworks/credit';
import { OracleService, TierModelsCheck } from '@loomworks/credit/staff';
import { Transactions } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
import { InvalidSettingError, isSecretSetting, settingKey, SystemConfigService, type SettingKey } from '@loomworks/system-config';
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
    const secret = (key: string, isSet: boolean): SettingSchema =>
      fromEnvironment(key) ? { key, secret: true, isSet: true, source: 'environment' } : isSet ? { key, secret: true, isSet, source: 'config' } : { key, secret: true, isSet };
    return { items: views.map((v) => (v.secret ? secret(v.key, v.isSet) : { key: v.key, secret: false, value: v.value })) };
  }

  /** A change that would leave a tier unroutable or a model unpriced is refused and rolled back (credit's invariant). */
  async setConfig(actor: Person, key: string, value: unknown): Promise<SettingsSchema> {
    const name = settingKey(key);
    this.assertHoldOutlivesTurn(name, value);
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
   * A hold must outlive the longest turn this server's LLM client can take (its timeouts, retries
   * and capped Retry-After pauses), or a slow turn could settle after its hold expired and
   * charge credit the hold no longer covers (DESIGN.md "Converse pipeline" item 6).
   */
  private assertHoldOutlivesTurn(name: SettingKey, value: unknown): void {
    if (name !== 'hold_ttl_seconds') return;
    const least = worstCaseTurnSeconds(this.config.anthropic);
    if (typeof value === 'number' && value < least) {
      throw new InvalidSettingError(name, `an integer ≥ ${least} (the worst-case turn with this server's LLM timeout, retries and retry pauses)`);
    }
  }
}
