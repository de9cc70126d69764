import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { Transactions, type Tx } from '@loomworks/database';
import { SystemConfigEntity } from './system-config.entity';

/** A stored setting: its key and its value as a Fernet token (the service decrypts and parses). */
export interface StoredSetting {
  key: string;
  token: string;
}

/** The system_config table and its version counter; tokens in, tokens out. */
@Injectable()
export class SystemConfigRepository {
  constructor(private readonly transactions: Transactions) {}

  /** Every stored setting and the system_config version, in one statement (one consistent snapshot). */
  async snapshot(): Promise<{ version: string; settings: StoredSetting[] }> {
    const rows: { version: string; key: string | null; value: string | null }[] = await this.transactions.manager.query(
      'SELECT v.version::text AS version, c.key, c.value FROM system_config_version v LEFT JOIN system_config c ON true',
    );
    const settings = rows.flatMap((r) => (r.key === null || r.value === null ? [] : [{ key: r.key, token: r.value }]));
    return { version: rows[0].version, settings };
  }

  async find(key: string, tx?: Tx): Promise<StoredSetting | null> {
    const row = await (tx ?? this.transactions.manager).findOneBy(SystemConfigEntity, { key });
    return row && { key: row.key, token: row.value };
  }

  async findMany(keys: readonly string[], tx?: Tx): Promise<StoredSetting[]> {
    const rows = await (tx ?? this.transactions.manager).findBy(SystemConfigEntity, { key: In([...keys]) });
    return rows.map((r) => ({ key: r.key, token: r.value }));
  }

  async upsert(setting: StoredSetting, updatedAt: Date, tx?: Tx): Promise<void> {
    await (tx ?? this.transactions.manager).upsert(SystemConfigEntity, { key: setting.key, value: setting.token, updatedAt }, ['key']);
  }

  async delete(key: string, tx?: Tx): Promise<void> {
    await (tx ?? this.transactions.manager).delete(SystemConfigEntity, { key });
  }
}
