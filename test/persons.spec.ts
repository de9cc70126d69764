import { Transactions } from '@loomworks/database';
import {
  anonymizedEmail,
  EmailTakenError,
  EngagementNotFoundError,
  InvalidAccountTransitionError,
  PersonNotFoundError,
  PersonsService,
} from '@loomworks/persons';
import { TestContext } from './support/test-context';

describe('persons', () => {
  let ctx: TestContext;
  let persons: PersonsService;
  let transactions: Transactions;

  beforeAll(async () => {
    ctx = await TestContext.create();
    ctx.clock.set('2026-01-01T00:00:00Z');
    persons = ctx.get(PersonsService);
    transactions = ctx.get(Transactions);
  });
  afterAll(() => ctx.close());

  const create = (email?: string, displayName = 'Ada') => ctx.newPerson({ email, displayName });

  it('creates a person with a personal engagement they own', async () => {
    const person = await create('  Ada.Lovelace@Example.COM ', ' Ada ');
    expect(person).toMatchObject({
      email: 'ada.lovelace@example.com',
      displayName: 'Ada',
      role: 'member',
      accountStatus: 'active',
      referredBy: null,
      createdAt: ctx.clock.now(),
    });
    expect(await persons.listEngagements(person.id)).toEqual([
      { id: person.personalEngagementId, name: "Ada's engagement", personal: true, role: 'owner' },
    ]);
    expect(await persons.membership(person.personalEngagementId, person.id)).toEqual({ role: 'owner', personal: true });
    expect(await persons.findLiveByEmail('ADA.LOVELACE@example.com')).toMatchObject({ id: person.id });
  });

  it('refuses a second live account with the same address, in any case', async () => {
    await create('dup@example.com');
    await expect(create('DUP@example.com')).rejects.toBeInstanceOf(EmailTakenError);
    expect(await ctx.db.query("SELECT id FROM persons WHERE email = 'dup@example.com'")).toHaveLength(1);
  });

  it('rolls back the whole creation with the caller\'s transaction', async () => {
    await expect(
      transactions.run(async (tx) => {
        await persons.createPerson(tx, { email: 'rolled@example.com', displayName: 'R' });
        throw new Error('caller failed later');
      }),
    ).rejects.toThrow('caller failed later');
    expect(await persons.findLiveByEmail('rolled@example.com')).toBeNull();
    expect(await ctx.db.query("SELECT 1 FROM engagements WHERE name = 'R''s engagement'")).toHaveLength(0);
  });

  it('walks the account state machine, recording when and from what', async () => {
    const person = await create();
    ctx.clock.set('2026-02-01T00:00:00Z');
    const suspended = await transactions.run((tx) => persons.transitionStatus(tx, person.id, 'suspended'));
    expect(suspended.from).toBe('active');
    ctx.clock.set('2026-03-01T00:00:00Z');
    await transactions.run((tx) => persons.transitionStatus(tx, person.id, 'active'));
    expect(await persons.getById(person.id)).toMatchObject({
      accountStatus: 'active',
      statusChangedAt: new Date('2026-03-01T00:00:00Z'),
      previousStatus: 'suspended',
      previousStatusChangedAt: new Date('2026-02-01T00:00:00Z'),
    });
  });

  it.each([
    ['active', 'active'],
    ['suspended', 'suspended'],
    ['deleted', 'active'],
    ['deleted', 'suspended'],
    ['deleted', 'deleted'],
  ] as const)('refuses %s → %s with a typed error and changes nothing', async (from, to) => {
    const person = await create();
    if (from !== 'active') await transactions.run((tx) => persons.transitionStatus(tx, person.id, from));
    const before = await persons.getById(person.id);
    const attempt = transactions.run((tx) => persons.transitionStatus(tx, person.id, to));
    await expect(attempt).rejects.toEqual(new InvalidAccountTransitionError(from, to));
    expect(await persons.getById(person.id)).toEqual(before);
  });

  it('deletes by anonymising the email deterministically, which frees the address', async () => {
    const person = await create('Gone@Example.com');
    await persons.setPersonLlmKey(person.id, 'sk-own');
    await transactions.run((tx) => persons.transitionStatus(tx, person.id, 'deleted'));
    const deleted = await persons.getById(person.id);
    expect(deleted.email).toBe(anonymizedEmail('gone@example.com'));
    expect(deleted.email).toMatch(/^deleted_[0-9a-f]{64}@deleted\.invalid$/);
    expect(await persons.personLlmKey(person.id)).toBeNull();
    expect(await persons.findLiveByEmail('gone@example.com')).toBeNull();
    const again = await create('gone@example.com');
    expect(again.id).not.toBe(person.id);
  });

  it('keeps LLM keys encrypted at rest and readable through the service only', async () => {
    const person = await create();
    await persons.setPersonLlmKey(person.id, 'sk-ant-person');
    await persons.setEngagementLlmKey(person.personalEngagementId, 'sk-ant-operator');
    expect(await persons.personLlmKey(person.id)).toBe('sk-ant-person');
    expect(await persons.engagementLlmKey(person.personalEngagementId)).toBe('sk-ant-operator');
    const raw = await ctx.db.query<{ k: string }>(
      'SELECT llm_key_encrypted AS k FROM persons WHERE id = $1 UNION ALL SELECT llm_key_encrypted FROM engagements WHERE id = $2',
      [person.id, person.personalEngagementId],
    );
    for (const { k } of raw) expect(k).toMatch(/^gAAAAA/);
    expect(JSON.stringify(await persons.getById(person.id))).not.toContain('sk-ant');
    await persons.setPersonLlmKey(person.id, null);
    expect(await persons.personLlmKey(person.id)).toBeNull();
  });

  it('answers unknown ids with typed errors', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    await expect(persons.getById(missing)).rejects.toBeInstanceOf(PersonNotFoundError);
    await expect(transactions.run((tx) => persons.transitionStatus(tx, missing, 'suspended'))).rejects.toBeInstanceOf(PersonNotFoundError);
    await expect(persons.membership(missing, missing)).rejects.toBeInstanceOf(EngagementNotFoundError);
    await expect(persons.setPersonLlmKey(missing, 'k')).rejects.toBeInstanceOf(PersonNotFoundError);
  });

  it('tells members from non-members', async () => {
    const a = await create();
    const b = await create();
    expect(await persons.membership(a.personalEngagementId, b.id)).toBeNull();
  });
});
