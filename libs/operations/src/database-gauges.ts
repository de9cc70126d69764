import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { Meters } from '@loomworks/common';

interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** Gauges read when /metrics is scraped, so they are never stale. */
@Injectable()
export class DatabaseGauges {
  constructor(@InjectDataSource() dataSource: DataSource, meters: Meters) {
    const pool = () => (dataSource.driver as unknown as { master?: PoolCounts }).master;
    new Gauge({
      name: 'loomworks_db_pool_connections',
      help: 'Connections of this instance to the database, by state (in_use, idle) and requests waiting for one',
      labelNames: ['state'] as const,
      registers: [meters.registry],
      collect() {
        const counts = pool();
        if (!counts) return;
        this.set({ state: 'in_use' }, counts.totalCount - counts.idleCount);
        this.set({ state: 'idle' }, counts.idleCount);
        this.set({ state: 'waiting' }, counts.waitingCount);
      },
    });
  }
}
