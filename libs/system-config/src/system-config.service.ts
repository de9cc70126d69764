import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import type { Tx } from '@loomworks/database';
import {
  isSecretSetting,
  isSettingKey,
  parseSetting,
  settingFallback,
  SETTINGS,
  type SettingKey,
  type SettingValue,
} from './domain/settings';
import { SystemConfigRepository } from './persistence/system-config.repository';
import { SecretBox } from './secret-box.service';

export type SettingView = { key: SettingKey; secret: false; value: unknown } | { key: SettingKey; secret: true; isSet: boolean };

/** The non-secret settings as of one version of system_config (see cached()). */
interface Snapshot {
  version: string;
  values: Map<SettingKey, unknown>;
}

@Injectable()
export class SystemConfigService {
  constructor(
    private readonly repository: SystemConfigRepository,
    private readonly secrets: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The last snapshot read (or being read), and the same once it has arrived. */
  private snapshot?: Promise<Snapshot>;
  private loaded?: Snapshot;

  /**
   * Non-secret settings from memory, with the system_config version they were read at (a
   * trigger bumps it on every change, migration FastHoldPaths). Hot paths pass the version to
   * the SQL that acts on the values; SQL that finds it stale writes nothing, the caller calls
   * invalidate(version) and reads again — so no instance acts on settings another has changed.
   */
  async cached<const K extends readonly SettingKey[]>(keys: K): Promise<{ version: string; values: { [I in keyof K]: SettingValue<K[I]> } }> {
    if (!this.snapshot) {
      const loading: Promise<Snapshot> = this.readSnapshot().then((read) => {
        if (this.snapshot === loading) this.loaded = read;
        return read;
      });
      loading.catch(() => {
        if (this.snapshot === loading) this.snapshot = undefined;
      });
      this.snapshot = loading;
    }
    const snapshot = await this.snapshot;
    const values = keys.map((key) => {
      if (isSecretSetting(key)) throw new Error(`setting ${key} is secret and never cached`);
      const value = snapshot.values.has(key) ? snapshot.values.get(key) : settingFallback(key);
      if (value === undefined) throw new Error(`setting ${key} has no value`);
      return value;
    });
    return { version: snapshot.version, values: values as { [I in keyof K]: SettingValue<K[I]> } };
  }

  /**
   * For a caller whose own query read the current version (`SELECT version FROM
   * system_config_version`): the cached values when they are of that version, else read again.
   */
  async cachedAt<const K extends readonly SettingKey[]>(version: string, keys: K): Promise<{ [I in keyof K]: SettingValue<K[I]> }> {
    const hit = await this.cached(keys);
    if (hit.version === version) return hit.values;
    this.invalidate(hit.version);
    return (await this.cached(keys)).values;
  }

  /** Drops the cached snapshot (only if it is the one of `version`, when given: found stale). */
  invalidate(version?: string): void {
    if (version !== undefined && this.loaded?.version !== version) return;
    this.snapshot = undefined;
    this.loaded = undefined;
  }

  /** Every non-secret setting and the version, in one statement (one consistent snapshot). */
  private async readSnapshot(): Promise<Snapshot> {
    const { version, settings } = await this.repository.snapshot();
    const values = new Map<SettingKey, unknown>();
    for (const { key, token } of settings) {
      if (!isSettingKey(key) || isSecretSetting(key)) continue;
      values.set(key, parseSetting(key, JSON.parse(this.secrets.decrypt(token))));
    }
    return { version, values };
  }

  /** The stored value, or the built-in default when the row is absent (undefined for unset secrets). */
  async get<K extends SettingKey>(key: K, tx?: Tx): Promise<SettingValue<K> | undefined> {
    const stored = await this.repository.find(key, tx);
    if (!stored) return settingFallback(key);
    return parseSetting(key, JSON.parse(this.secrets.decrypt(stored.token)));
  }

  /** Several settings that always have a value, in one query (hot paths read a few at once). */
  async requireMany<const K extends readonly SettingKey[]>(keys: K, tx?: Tx): Promise<{ [I in keyof K]: SettingValue<K[I]> }> {
    const stored = new Map((await this.repository.findMany(keys, tx)).map((s) => [s.key, s.token]));
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
    await this.repository.upsert({ key, token: this.secrets.encrypt(JSON.stringify(parsed)) }, this.clock.now(), tx);
    this.invalidate();
    return parsed;
  }

  async unset(key: SettingKey, tx?: Tx): Promise<void> {
    await this.repository.delete(key, tx);
    this.invalidate();
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
