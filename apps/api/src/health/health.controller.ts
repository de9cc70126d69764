import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '@loomworks/auth';
import { ApiErrors } from '@loomworks/common';
import { ReadReplica } from '@loomworks/database';

const DB_CHECK_TIMEOUT_MS = 2000;

class ReplicaHealthSchema {
  @ApiProperty({ type: Number, nullable: true, description: 'replay lag in seconds; null when the replica is unreachable' })
  lagSeconds!: number | null;
}

class HealthSchema {
  @ApiProperty({ enum: ['ok'] }) status!: 'ok';
  @ApiProperty({ enum: ['up'] }) db!: 'up';
  @ApiPropertyOptional({ type: ReplicaHealthSchema, description: 'present when DATABASE_REPLICA_URL is set' })
  replica?: ReplicaHealthSchema;
}

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replica: ReadReplica,
  ) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness and database reachability' })
  @ApiOkResponse({ type: HealthSchema })
  @ApiErrors('db_unavailable')
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthSchema | Record<string, unknown>> {
    if (await this.databaseIsUp()) {
      if (!this.replica.configured) return { status: 'ok', db: 'up' } satisfies HealthSchema;
      return { status: 'ok', db: 'up', replica: { lagSeconds: await this.replicaLag() } } satisfies HealthSchema;
    }
    void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: 'db_unavailable',
      message: 'The database is unreachable.',
      status: 'error',
      db: 'down',
    };
  }

  private async replicaLag(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), DB_CHECK_TIMEOUT_MS)));
    try {
      return await Promise.race([this.replica.lagSeconds().catch(() => null), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async databaseIsUp(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DB_CHECK_TIMEOUT_MS)));
    const probe = this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
