import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { CLOCK, type Clock } from '@loomworks/common';
import { Transactions, type Tx } from '@loomworks/database';
import {
  isSecretSetting,
  parseSetting,
  settingFallback,
  SETTINGS,
  type SettingKey,
  type SettingValue,
} from './domain/settings';
import { SystemConfigEntity } from './persistence/system-config.entity';
import { SecretBox } from './secret-box.service';

export type SettingView = { key: SettingKey; secret: false; value: unknown } | { key: SettingKey; secret: true; isSet: boolean };

@Injectable()
export class SystemConfigService {
  constructor(
    private readonly transactions: Transactions,
    private readonly secrets: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The stored value, or the built-in default when the row is absent (undefined for unset secrets). */
  async get<K extends SettingKey>(key: K, tx?: Tx): Promise<SettingValue<K> | undefined> {
    const row = await (tx ?? this.transactions.manager).findOneBy(SystemConfigEntity, { key });
    if (!row) return settingFallback(key);
    return parseSetting(key, JSON.parse(this.secrets.decrypt(row.value)));
  }

  /** Several settings that always have a value, in one query (hot paths read a few at once). */
  async requireMany<const K extends readonly SettingKey[]>(keys: K, tx?: Tx): Promise<{ [I in keyof K]: SettingValue<K[I]> }> {
    const rows = await (tx ?? this.transactions.manager).findBy(SystemConfigEntity, { key: In([...keys]) });
    const stored = new Map(rows.map((r) => [r.key, r.value]));
    return keys.map((key) => {
      const token = stored.get(key);
      const value = token === undefined ? settingFallback(key) : parseSetting(key, JSON.parse(this.secrets.decrypt(token)));
      if (value === undefined) throw new Error(`setting ${key} has no value`);
      return value;
    }) as { [I in keyof K]: SettingValue<K[I]> };
  }

  /** Like get, for keys that always have a value (every non-secret setting has a default). */
  async require<K extends SettingKey>(key: K, tx?: Tx): Promise<SettingValue<K>> {
    const value = await this.get(key, tx);
    if (value === undefined) throw new Error(`setting ${key} has no value`);
    return value;
  }

  /** Validates and stores a value (InvalidSettingError when it does not fit the key's type). */
  async set<K extends SettingKey>(key: K, value: unknown, tx?: Tx): Promise<SettingValue<K>> {
    const parsed = parseSetting(key, value);
    await (tx ?? this.transactions.manager).upsert(
      SystemConfigEntity,
      { key, value: this.secrets.encrypt(JSON.stringify(parsed)), updatedAt: this.clock.now() },
      ['key'],
    );
    return parsed;
  }

  async unset(key: SettingKey, tx?: Tx): Promise<void> {
    await (tx ?? this.transactions.manager).delete(SystemConfigEntity, { key });
  }

  /** Every setting, secrets shown only as set/unset. */
  async list(): Promise<SettingView[]> {
    const views: SettingView[] = [];
    for (const key of Object.keys(SETTINGS) as SettingKey[]) {
      const value = await this.get(key);
      views.push(isSecretSetting(key) ? { key, secret: true, isSet: value !== undefined } : { key, secret: false, value });
    }
    return views;
  }
}
