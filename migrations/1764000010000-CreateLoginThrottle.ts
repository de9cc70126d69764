import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed-attempt counters shared by every API instance, in the layout rate-limiter-flexible's
 * Postgres store expects (key, points, expire in epoch ms).
 */
export class CreateLoginThrottle1764000010000 implements MigrationInterface {
  name = 'CreateLoginThrottle1764000010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_throttle (
        key    varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE login_throttle');
  }
}
