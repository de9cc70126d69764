import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { dataSourceOptions } from './data-source-options';
import type { Tx } from './transactions';

/**
 * Replay lag of a streaming replica: 0 when it has replayed all it received (an idle primary sends
 * nothing, so the last replayed commit's age alone would grow forever), else the age of that commit.
 */
const LAG_SQL = `SELECT CASE
    WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp()))
  END::float8 AS lag`;

/**
 * Reads that tolerate lag: history lists, exports, usage aggregates, admin lists, metrics gauges.
 * `readOnly()` is a handle on DATABASE_REPLICA_URL when one is configured, else on the primary.
 * Money decisions, and any read that must see the caller's own write, use Transactions instead.
 *
 *   const rows = await this.replica.readOnly().query('SELECT … FROM credit.flows WHERE …', [...]);
 */
@Injectable()
export class ReadReplica implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReadReplica.name);
  private replica: DataSource | null = null;

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const url = this.config.databaseReplicaUrl;
    if (!url) return;
    const replica = new DataSource({
      ...dataSourceOptions(url, [], { poolMode: this.config.databasePoolMode, poolSize: 10, applicationName: 'loomworks-replica' }),
      entities: this.primary.options.entities,
    } as typeof this.primary.options);
    try {
      this.replica = await replica.initialize();
    } catch (error) {
      // A replica that is down must not stop the API: its reads go to the primary meanwhile.
      this.logger.warn(`DATABASE_REPLICA_URL unreachable at start-up, reading from the primary: ${(error as Error).message}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.replica?.destroy();
  }

  /** True when lag-tolerant reads go to a replica. */
  get configured(): boolean {
    return this.replica !== null;
  }

  /** A handle for reads that may be a little behind (seconds at most; see lagSeconds). */
  readOnly(): Tx {
    return (this.replica ?? this.primary).manager;
  }

  /** The replica's replay lag in seconds, or null when no replica is configured. */
  async lagSeconds(): Promise<number | null> {
    if (!this.replica) return null;
    const [{ lag }]: { lag: number }[] = await this.replica.query(LAG_SQL);
    return lag;
  }
}
