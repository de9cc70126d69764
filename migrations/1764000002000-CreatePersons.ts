import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePersons1764000002000 implements MigrationInterface {
  name = 'CreatePersons1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE persons (
        id                         uuid PRIMARY KEY,
        email                      text NOT NULL CHECK (email = lower(btrim(email)) AND email <> ''),
        display_name               text NOT NULL CHECK (display_name <> ''),
        role                       text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')),
        account_status             text NOT NULL DEFAULT 'active' CHECK (account_status IN ('active', 'suspended', 'deleted')),
        status_changed_at          timestamptz,
        previous_status            text CHECK (previous_status IN ('active', 'suspended', 'deleted')),
        previous_status_changed_at timestamptz,
        personal_engagement_id     uuid NOT NULL,
        referred_by                uuid REFERENCES persons (id),
        llm_key_encrypted          text,
        created_at                 timestamptz NOT NULL
      )`);
    // Deleted persons keep their (anonymised) row; only live accounts own an address.
    await q.query(`CREATE UNIQUE INDEX persons_live_email_key ON persons (email) WHERE account_status <> 'deleted'`);
    await q.query('CREATE INDEX persons_referred_by_idx ON persons (referred_by) WHERE referred_by IS NOT NULL');

    await q.query(`
      CREATE TABLE engagements (
        id                uuid PRIMARY KEY,
        name              text NOT NULL,
        personal          boolean NOT NULL,
        owner_person_id   uuid NOT NULL REFERENCES persons (id),
        llm_key_encrypted text,
        created_at        timestamptz NOT NULL
      )`);
    await q.query('CREATE UNIQUE INDEX engagements_one_personal_key ON engagements (owner_person_id) WHERE personal');
    // A person and their personal engagement point at each other; checked at commit.
    await q.query(`
      ALTER TABLE persons ADD CONSTRAINT persons_personal_engagement_fkey
        FOREIGN KEY (personal_engagement_id) REFERENCES engagements (id) DEFERRABLE INITIALLY DEFERRED`);

    await q.query(`
      CREATE TABLE engagement_members (
        engagement_id uuid NOT NULL REFERENCES engagements (id),
        person_id     uuid NOT NULL REFERENCES persons (id),
        role          text NOT NULL CHECK (role IN ('owner', 'member')),
        created_at    timestamptz NOT NULL,
        PRIMARY KEY (engagement_id, person_id)
      )`);
    await q.query('CREATE INDEX engagement_members_person_idx ON engagement_members (person_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE engagement_members');
    await q.query('ALTER TABLE persons DROP CONSTRAINT persons_personal_engagement_fkey');
    await q.query('DROP TABLE engagements');
    await q.query('DROP TABLE persons');
  }
}
