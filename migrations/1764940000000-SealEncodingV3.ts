import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Seals may record encoding 3 (SealsRepository.sealDigest: the flows' binary values without
 * record_send's row), which the sealer writes from now on; the seals of encodings 1 and 2 keep
 * verifying as written.
 */
export class SealEncodingV31764940000000 implements MigrationInterface {
  name = 'SealEncodingV31764940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.seals DROP CONSTRAINT seals_encoding_check');
    await q.query('ALTER TABLE credit.seals ADD CONSTRAINT seals_encoding_check CHECK (encoding IN (1, 2, 3))');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE credit.seals DROP CONSTRAINT seals_encoding_check');
    await q.query('ALTER TABLE credit.seals ADD CONSTRAINT seals_encoding_check CHECK (encoding IN (1, 2))');
  }
}
