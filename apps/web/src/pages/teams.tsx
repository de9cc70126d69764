import { useState } from 'preact/hooks';
import { api, ApiError, type CreditView, type Engagement, type MemberView, type PersonView } from '../api';
import { Balances } from '../balances';
import { LimitFields, limitInput, limitOf, NO_LIMIT, type LimitInput } from '../limit-fields';
import { Confirm, Field, fmtAmount, fmtLimit, LoadError, mount, RowMenu, Select, Shell, SignInFirst, Status, THIS_PERIOD, useAction, useLoad } from '../ui';

// /teams/:id — a team engagement: its pool, and its members with their limits and spend this period.
// Owners manage members; a member sees the pool and their own spend (the API shows them only themself).

const ROLES: Array<[string, string]> = [
  ['member', 'Member'],
  ['owner', 'Owner (manages members)'],
];

/** The team's id from the address (/teams/<uuid>). */
const teamId = () => /^\/teams\/([0-9a-fA-F-]{36})\/?$/.exec(location.pathname)?.[1] ?? null;

/** What a member spent in the current period of their limit (the month when they have none), against the limit. */
export function spendText(m: Pick<MemberView, 'limit' | 'spentThisPeriod'>): string {
  if (!m.limit) return `${fmtAmount(m.spentThisPeriod)} this month`;
  return `${fmtAmount(m.spentThisPeriod)} of ${fmtAmount(m.limit.amount)} ${THIS_PERIOD[m.limit.period] ?? ''}`.trim();
}

function PoolSection({ id }: { id: string }) {
  const credit = useLoad(() => api<CreditView>('GET', `/engagements/${id}/credit`), [id]);
  return (
    <section class="card" aria-labelledby="pool-title" id="pool">
      <h2 id="pool-title">Pool</h2>
      <p class="muted">Turns in this team are paid from its pool, never from a member’s own credit. Staff fund the pool.</p>
      {credit.data && (
        <>
          <p id="pool-tier">
            {credit.data.tier ? (
              <>
                Turns run on <strong>{credit.data.tier.asset}</strong> ({credit.data.tier.responderModel}).
              </>
            ) : (
              'The pool is empty: turns on the service’s key are refused until staff fund it.'
            )}
          </p>
          <Balances credit={credit.data} />
        </>
      )}
      <LoadError error={credit.error} />
    </section>
  );
}

function AddMember({ id, onAdded }: { id: string; onAdded: (m: MemberView) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'owner'>('member');
  const [limit, setLimit] = useState<LimitInput>(NO_LIMIT);
  const action = useAction();
  return (
    <form
      class="card"
      id="add-member"
      aria-labelledby="add-member-title"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const l = limitOf(limit);
          const added = await api<MemberView>('POST', `/engagements/${id}/members`, { body: { email: email.trim(), role, ...(l && { limit: l }) } });
          setEmail('');
          setLimit(NO_LIMIT);
          setRole('member');
          onAdded(added);
          return `${added.displayName} (${added.email}) added as ${added.role}.`;
        });
      }}
    >
      <h2 id="add-member-title">Add a member</h2>
      <p class="muted">They need an account already. They can then hold conversations in this team, paid from its pool.</p>
      <Field label="Email of their account" id="member-email" type="email" required autocomplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
      <Select label="Role" id="member-role" value={role} options={ROLES} onChange={(e) => setRole(e.currentTarget.value as 'member' | 'owner')} />
      <LimitFields id="member-limit" value={limit} onChange={setLimit} hint="What they may spend from the pool per period. Empty: no limit." />
      <button type="submit" disabled={action.busy}>
        Add member
      </button>
      <Status message={action.message} id="add-member-status" />
    </form>
  );
}

type Pending = { action: 'edit' | 'remove' | 'leave'; member: MemberView } | null;

/** The pool, and the members (owners) or the own spend (members). */
function TeamBody({ id, me, owner }: { id: string; me: PersonView; owner: boolean }) {
  const members = useLoad(() => api<{ items: MemberView[] }>('GET', `/engagements/${id}/members`), [id]);
  const [pending, setPending] = useState<Pending>(null);
  const [role, setRole] = useState<'member' | 'owner'>('member');
  const [limit, setLimit] = useState<LimitInput>(NO_LIMIT);
  const action = useAction();

  function edit(member: MemberView) {
    setRole(member.role);
    setLimit(limitInput(member.limit));
    setPending({ action: 'edit', member });
  }

  function confirmed() {
    const { action: what, member } = pending!;
    // The dialog's limit is checked as a form's field would be.
    const amount = document.getElementById('edit-limit-amount') as HTMLInputElement | null;
    if (what === 'edit' && amount && !amount.reportValidity()) return;
    setPending(null);
    action.run(async () => {
      if (what === 'leave') {
        await api('DELETE', `/engagements/${id}/members/${member.personId}`);
        location.assign('/account');
        return;
      }
      if (what === 'remove') {
        await api('DELETE', `/engagements/${id}/members/${member.personId}`);
        members.reload();
        return `${member.email} removed from the team.`;
      }
      const updated = await api<MemberView>('PATCH', `/engagements/${id}/members/${member.personId}`, { body: { role, limit: limitOf(limit) } });
      members.reload();
      return `${updated.email}: ${updated.role}, ${fmtLimit(updated.limit).toLowerCase()}.`;
    });
  }

  const own = members.data?.items.find((m) => m.personId === me.id);
  return (
    <>
      <div class="grid">
        <PoolSection id={id} />
        {owner ? (
          <AddMember id={id} onAdded={() => members.reload()} />
        ) : (
          <div>
            {own && (
              <section class="card" aria-labelledby="my-spend-title" id="my-spend">
                <h2 id="my-spend-title">Your spend</h2>
                <dl class="facts">
                  <dt>Role</dt>
                  <dd>{own.role}</dd>
                  <dt>Your limit</dt>
                  <dd id="my-limit">{fmtLimit(own.limit)}</dd>
                  <dt>Spent</dt>
                  <dd id="my-spent">{spendText(own)}</dd>
                </dl>
                {own.limit && own.spentThisPeriod >= own.limit.amount && <p class="warning">Your limit is reached: your turns in this team wait until the period ends (UTC).</p>}
                <button type="button" class="secondary" onClick={() => setPending({ action: 'leave', member: own })}>
                  Leave this team
                </button>
                <Status message={action.message} id="leave-status" />
              </section>
            )}
            <LoadError error={members.error} />
          </div>
        )}
      </div>
      {owner && (
        <section class="card" aria-labelledby="members-title" id="members-card" aria-busy={members.loading}>
          <h2 id="members-title">Members</h2>
          <Status message={action.message} id="members-status" />
          {members.data && (
            <div class="table-wrap">
              <table id="members" class="stack">
                <caption class="visually-hidden">Members of the team</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Email</th>
                    <th scope="col">Role</th>
                    <th scope="col">Limit</th>
                    <th scope="col" class="num">
                      Spent this period
                    </th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {members.data.items.map((m) => (
                    <tr>
                      <td data-label="Name">
                        {m.displayName}
                        {m.personId === me.id && <span class="muted"> (you)</span>}
                      </td>
                      <td data-label="Email">{m.email}</td>
                      <td data-label="Role">
                        <span class={`badge ${m.role}`}>{m.role}</span>
                      </td>
                      <td data-label="Limit">{fmtLimit(m.limit)}</td>
                      <td data-label="Spent" class="num">
                        {spendText(m)}
                      </td>
                      <td data-label="Actions">
                        <RowMenu
                          label={`Actions for ${m.email}`}
                          items={[
                            { text: 'Change role or limit', label: `Change the role or limit of ${m.email}`, onSelect: () => edit(m) },
                            { text: 'Remove from team', label: `Remove ${m.email}`, danger: true, onSelect: () => setPending({ action: 'remove', member: m }) },
                          ]}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <LoadError error={members.error} />
        </section>
      )}
      <Confirm
        open={pending?.action === 'remove'}
        title={`Remove ${pending?.member.email ?? ''} from the team?`}
        confirmLabel="Remove"
        danger
        onConfirm={confirmed}
        onCancel={() => setPending(null)}
      >
        <p>They can no longer hold conversations in this team or spend its pool. What they spent stays in the pool’s history.</p>
      </Confirm>
      <Confirm open={pending?.action === 'leave'} title="Leave this team?" confirmLabel="Leave" danger onConfirm={confirmed} onCancel={() => setPending(null)}>
        <p>You can no longer hold conversations in this team. An owner can add you again.</p>
      </Confirm>
      <Confirm open={pending?.action === 'edit'} title={`Role and limit of ${pending?.member.email ?? ''}`} confirmLabel="Save" onConfirm={confirmed} onCancel={() => setPending(null)}>
        {pending?.action === 'edit' && (
          <>
            <Select label="Role" id="edit-role" value={role} options={ROLES} onChange={(e) => setRole(e.currentTarget.value as 'member' | 'owner')} />
            <LimitFields id="edit-limit" value={limit} onChange={setLimit} hint="Empty: no limit." />
          </>
        )}
      </Confirm>
    </>
  );
}

function TeamPage() {
  const id = teamId();
  const me = useLoad(() => api<PersonView>('GET', '/me'));
  const engagements = useLoad(() => (me.data ? api<{ items: Engagement[] }>('GET', '/me/engagements') : Promise.resolve(null)), [me.data?.id]);
  const team = engagements.data?.items.find((e) => e.id === id);
  const unauthenticated = me.error instanceof ApiError && me.error.status === 401;
  return (
    <Shell
      title={team ? team.name : 'Team'}
      signedIn={Boolean(me.data)}
      nav={
        me.data && (
          <nav aria-label="Main">
            <ul>
              <li>
                <a href="/account">Your account</a>
              </li>
              <li>
                <a href="/chat">Conversations</a>
              </li>
            </ul>
          </nav>
        )
      }
    >
      {(me.loading || engagements.loading) && <p aria-live="polite">Loading…</p>}
      {unauthenticated && <SignInFirst />}
      {!unauthenticated && <LoadError error={me.error ?? engagements.error} />}
      {id === null && <p role="alert">This address names no team.</p>}
      {engagements.data && id && !team && (
        <p role="alert" id="not-member">
          You are not a member of this team. <a href="/account">Back to your account</a>.
        </p>
      )}
      {me.data && team && (
        <>
          <p id="team-role">
            You are {team.role === 'owner' ? 'an owner' : 'a member'} of this team.
            {team.role === 'owner' ? ' You add and remove members and set what each may spend.' : ''}
          </p>
          <TeamBody id={team.id} me={me.data} owner={team.role === 'owner'} />
        </>
      )}
    </Shell>
  );
}

mount(() => <TeamPage />);
