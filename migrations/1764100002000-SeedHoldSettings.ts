import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The settings of reservations (DESIGN.md "Reservations"). hold_ttl_seconds outlives the worst
 * turn of the default LLM bounds (60 s × 3 attempts × 2 stages + margin = 390 s). Written here,
 * not read from the app's defaults, so the migration means the same thing forever; ON CONFLICT
 * DO NOTHING keeps operator-tuned values.
 */
const SEEDS: Record<string, unknown> = {
  hold_ttl_seconds: 600,
  max_turns_in_flight: 4,
  converse_min_response_tokens: 256,
};

export class SeedHoldSettings1764100002000 implements MigrationInterface {
  name = 'SeedHoldSettings1764100002000';

  async up(q: QueryRunner): Promise<void> {
    const secretKey = process.env.LOOMWORKS_SECRET_KEY;
    const now = new Date();
    for (const [name, value] of Object.entries(SEEDS)) {
      await q.query('INSERT INTO system_config (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING', [
        name,
        sealSetting(secretKey, JSON.stringify(value), now),
        now,
      ]);
    }
  }

  /** Deliberately keeps the rows: reverting must not throw away values an operator tuned. */
  async down(): Promise<void> {}
}

/**
 * Fernet (AES-128-CBC + HMAC-SHA256, url-safe base64) under LOOMWORKS_SECRET_KEY, written out here
 * so this migration never changes with the app's libraries (DESIGN.md: migrations are
 * self-contained). Checked against the Fernet spec vectors by test/migrations-fernet.spec.ts.
 */
export function sealSetting(secretKey: string | undefined, plaintext: string, now: Date, iv: Buffer = randomBytes(16)): string {
  const key = /^[A-Za-z0-9_-]+={0,2}$/.test(secretKey ?? '') ? Buffer.from(secretKey!, 'base64url') : Buffer.alloc(0);
  if (key.length !== 32) throw new Error('LOOMWORKS_SECRET_KEY must be 32 bytes in url-safe base64 (a Fernet key)');
  const header = Buffer.alloc(25);
  header[0] = 0x80;
  header.writeBigUInt64BE(BigInt(Math.floor(now.getTime() / 1000)), 1);
  iv.copy(header, 9);
  const cipher = createCipheriv('aes-128-cbc', key.subarray(16), iv);
  const body = Buffer.concat([header, cipher.update(plaintext, 'utf8'), cipher.final()]);
  const mac = createHmac('sha256', key.subarray(0, 16)).update(body).digest();
  return Buffer.concat([body, mac]).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
