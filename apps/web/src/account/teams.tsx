import { useState } from 'preact/hooks';
import { api, type Engagement } from '../api';
import { Field, LoadError, Status, useAction, useLoad } from '../ui';

/** The teams the person belongs to, each linked to its page (/teams/:id), and a form to start one. */
export function TeamsSection() {
  const list = useLoad(() => api<{ items: Engagement[] }>('GET', '/me/engagements'));
  const [name, setName] = useState('');
  const action = useAction();
  const teams = list.data?.items.filter((e) => !e.personal) ?? [];
  return (
    <section aria-labelledby="teams-title" class="card" id="teams">
      <h2 id="teams-title">Teams</h2>
      <p class="muted">A team shares one pool of credit, funded by staff; its owners set what each member may spend.</p>
      {list.data && teams.length === 0 && <p class="muted">You belong to no team yet.</p>}
      {teams.length > 0 && (
        <ul class="rows" id="team-list">
          {teams.map((t) => (
            <li>
              <a href={`/teams/${t.id}`} class="grow">
                {t.name}
              </a>
              <span class={`badge ${t.role}`}>{t.role}</span>
            </li>
          ))}
        </ul>
      )}
      <LoadError error={list.error} />
      <form
        class="inline"
        id="create-team"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            const team = await api<Engagement>('POST', '/engagements', { body: { name: name.trim() } });
            location.assign(`/teams/${team.id}`);
          });
        }}
      >
        <Field label="New team’s name" id="team-name" required maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit" disabled={action.busy}>
          Create team
        </button>
      </form>
      <Status message={action.message} id="teams-status" />
    </section>
  );
}
