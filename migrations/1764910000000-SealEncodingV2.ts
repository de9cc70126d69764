import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Seals record how they encoded their flows (SealsRepository.sealDigest): 1, the JSON lines of
 * the seals written so far, which keep verifying as written; 2, binary records, for every seal
 * from now on (the sealer writes it explicitly, so no default remains).
 */
export class SealEncodingV21764910000000 implements MigrationInterface {
  name = 'SealEncodingV21764910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.seals ADD COLUMN encoding smallint NOT NULL DEFAULT 1 CHECK (encoding IN (1, 2))');
    await q.query('ALTER TABLE credit.seals ALTER COLUMN encoding DROP DEFAULT');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.seals DROP COLUMN encoding');
  }
}
