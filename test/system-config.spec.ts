import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@loomworks/database';
import {
  fernetDecrypt,
  InvalidSettingError,
  parseFernetKey,
  SETTINGS,
  settingKey,
  SystemConfigService,
  UnknownSettingError,
} from '@loomworks/system-config';
import { allMigrations } from '../migrations';
import { TestContext } from './support/test-context';

describe('system config', () => {
  let ctx: TestContext;
  let settings: SystemConfigService;
  const key = parseFernetKey(process.env.LOOMWORKS_SECRET_KEY!);

  beforeAll(async () => {
    ctx = await TestContext.create();
    settings = ctx.get(SystemConfigService);
  });
  afterAll(() => ctx.close());

  const storedValue = async (name: string) => {
    const [row] = await ctx.db.query<{ value: string }>('SELECT value FROM system_config WHERE key = $1', [name]);
    return row && JSON.parse(fernetDecrypt(key, row.value).toString('utf8'));
  };

  it('is seeded by the migration with Fernet tokens of the DESIGN.md defaults', async () => {
    const rows = await ctx.db.query<{ key: string; value: string }>('SELECT key, value FROM system_config ORDER BY key');
    expect(rows.map((r) => r.key)).toEqual(
      [
        'authorization_max_seconds',
        'converse_default_classifier_model',
        'converse_default_responder_model',
        'converse_min_response_tokens',
        'credit_asset_models',
        'credit_tier_priority',
        'credit_tier_responder_models',
        'email_eligibility_cooling_days',
        'grant_default_expiry_days',
        'hold_ttl_seconds',
        'low_balance_threshold',
        'max_turns_in_flight',
        'reconcile_interval_seconds',
        'referral_credit_amount',
        'referral_credit_asset',
        'seal_interval_seconds',
        'session_ttl_hours',
      ],
    );
    for (const row of rows) expect(row.value).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/);
    expect(await storedValue('converse_default_classifier_model')).toBe('claude-haiku-4-5-20251001');
    expect(await storedValue('credit_tier_responder_models')).toEqual({
      haiku: 'claude-haiku-4-5-20251001',
      sonnet: 'claude-sonnet-4-6',
      opus: 'claude-opus-4-7',
    });
    expect(await storedValue('credit_asset_models')).toEqual({
      haiku: ['claude-haiku-4-5-20251001'],
      sonnet: ['claude-haiku-4-5-20251001', 'claude-sonnet-4-6'],
      opus: ['claude-haiku-4-5-20251001', 'claude-sonnet-4-6', 'claude-opus-4-7'],
    });
    expect(await storedValue('reconcile_interval_seconds')).toBe(300);
    expect(await storedValue('seal_interval_seconds')).toBe(60);
    expect(await storedValue('low_balance_threshold')).toEqual({ haiku: 100, sonnet: 100, opus: 100 });
  });

  it('reads typed values through the accessors', async () => {
    expect(await settings.get('credit_tier_priority')).toEqual(['opus', 'sonnet', 'haiku']);
    expect(await settings.get('grant_default_expiry_days')).toBe(30);
    expect(await settings.get('anthropic_api_key')).toBeUndefined();
  });

  it('reads several settings in one call, in the order asked, defaults for absent rows', async () => {
    await ctx.db.query("DELETE FROM system_config WHERE key = 'session_ttl_hours'");
    await settings.set('referral_credit_amount', 700);
    expect(await settings.requireMany(['referral_credit_amount', 'session_ttl_hours', 'credit_tier_priority'] as const)).toEqual([
      700,
      336,
      ['opus', 'sonnet', 'haiku'],
    ]);
    await settings.set('referral_credit_amount', 500);
  });

  it('stores a validated value encrypted and reads it back', async () => {
    await settings.set('grant_default_expiry_days', 14);
    expect(await settings.get('grant_default_expiry_days')).toBe(14);
    expect(await storedValue('grant_default_expiry_days')).toBe(14);
    await settings.set('grant_default_expiry_days', 30);
  });

  it.each([
    ['grant_default_expiry_days', 0],
    ['grant_default_expiry_days', 1.5],
    ['grant_default_expiry_days', '30'],
    ['credit_tier_priority', []],
    ['credit_tier_priority', ['opus', 'opus']],
    ['credit_tier_responder_models', ['x']],
    ['credit_asset_models', { haiku: [] }],
    ['credit_asset_models', { haiku: 'claude-haiku-4-5-20251001' }],
    ['converse_default_responder_model', ''],
  ] as const)('refuses %s = %j and keeps the old value', async (name, value) => {
    const before = await storedValue(name);
    await expect(settings.set(name, value)).rejects.toBeInstanceOf(InvalidSettingError);
    expect(await storedValue(name)).toEqual(before);
  });

  it('refuses unknown keys with a typed error', () => {
    expect(() => settingKey('no_such_setting')).toThrow(UnknownSettingError);
    expect(settingKey('referral_credit_asset')).toBe('referral_credit_asset');
  });

  it('never lists a secret in clear', async () => {
    await settings.set('anthropic_api_key', 'sk-ant-very-secret');
    const listed = await settings.list();
    expect(listed.find((s) => s.key === 'anthropic_api_key')).toEqual({ key: 'anthropic_api_key', secret: true, isSet: true });
    expect(JSON.stringify(listed)).not.toContain('sk-ant-very-secret');
    expect(listed).toHaveLength(Object.keys(SETTINGS).length);
    const [row] = await ctx.db.query<{ value: string }>("SELECT value FROM system_config WHERE key = 'anthropic_api_key'");
    expect(row.value).not.toContain('sk-ant');
    await settings.unset('anthropic_api_key');
    expect(await settings.get('anthropic_api_key')).toBeUndefined();
  });

  it('keeps operator overrides and restores missing seeds when the migrations run again', async () => {
    await settings.set('email_eligibility_cooling_days', 7);
    await ctx.db.query("DELETE FROM system_config WHERE key = 'referral_credit_amount'");

    const dataSource = await new DataSource(dataSourceOptions(ctx.db.url, allMigrations)).initialize();
    try {
      // Revert back to (and including) the seed migration, then apply everything again.
      const seedIndex = allMigrations.findIndex((m) => m.name.startsWith('SeedSystemConfig'));
      for (let i = allMigrations.length - 1; i >= seedIndex; i--) await dataSource.undoLastMigration();
      await dataSource.runMigrations();
    } finally {
      await dataSource.destroy();
    }

    expect(await storedValue('email_eligibility_cooling_days')).toBe(7);
    expect(await storedValue('referral_credit_amount')).toBe(500);
  });
});
