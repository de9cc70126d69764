import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Conversation history per engagement; an assistant turn commits with its consumption flows. */
export class CreateConversations1764000009000 implements MigrationInterface {
  name = 'CreateConversations1764000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conversations (
        id            uuid PRIMARY KEY,
        engagement_id uuid NOT NULL REFERENCES engagements (id),
        started_by    uuid NOT NULL REFERENCES persons (id),
        title         text NOT NULL,
        created_at    timestamptz NOT NULL,
        last_turn_at  timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX conversations_engagement_idx ON conversations (engagement_id, last_turn_at DESC, id DESC)');
    await q.query(`
      CREATE TABLE turns (
        id              uuid PRIMARY KEY,
        conversation_id uuid NOT NULL REFERENCES conversations (id),
        seq             integer NOT NULL,
        role            text NOT NULL CHECK (role IN ('user', 'assistant')),
        content         text NOT NULL,
        person_id       uuid NOT NULL REFERENCES persons (id),
        key_source      text CHECK (key_source IN ('operator', 'person', 'system')),
        intent          text,
        models          jsonb,
        token_usage     jsonb,
        created_at      timestamptz NOT NULL,
        UNIQUE (conversation_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE turns');
    await q.query('DROP TABLE conversations');
  }
}
