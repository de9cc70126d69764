import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type PersonView, type Setting } from '../api';
import { AuditView } from '../admin/audit';
import { GrantsView } from '../admin/grants';
import { BulkGrantsView } from '../admin/bulk-grants';
import { LedgerView } from '../admin/ledger';
import { OpsView } from '../admin/ops';
import { PeopleView } from '../admin/people';
import { PoolsView } from '../admin/pools';
import { ServiceKeysView } from '../admin/service-keys';
import { SettingsView } from '../admin/settings';
import { mount, Shell, SignInFirst, useLoad } from '../ui';

const SECTIONS = [
  ['grants', 'Grants'],
  ['people', 'People'],
  ['pools', 'Pools'],
  ['keys', 'Service keys'],
  ['settings', 'Settings'],
  ['audit', 'Audit'],
  ['ops', 'Webhooks & mail'],
  ['ledger', 'Ledger'],
] as const;
type Section = (typeof SECTIONS)[number][0];

/** The section in the URL's fragment (#grants, #people/<id> …), so each has its own address and Back works. */
function useSection(): Section {
  const read = () => (SECTIONS.find(([id]) => id === location.hash.slice(1).split('/')[0])?.[0] ?? 'grants') as Section;
  const [section, setSection] = useState<Section>(read);
  useEffect(() => {
    const changed = () => {
      setSection(read());
      document.getElementById('main')?.focus();
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return section;
}

function AdminPage() {
  const me = useLoad(() => api<PersonView>('GET', '/me'));
  const config = useLoad(() => (me.data?.role === 'admin' ? api<{ items: Setting[] }>('GET', '/admin/config') : Promise.resolve(null)), [me.data?.role]);
  const section = useSection();
  const isAdmin = me.data?.role === 'admin';
  const assets = (config.data?.items.find((i) => i.key === 'credit_tier_priority')?.value as string[] | undefined) ?? [];
  const title = isAdmin ? (SECTIONS.find(([id]) => id === section)?.[1] ?? 'Admin') : 'Admin console';
  return (
    <Shell
      title={title}
      signedIn={Boolean(me.data)}
      nav={
        isAdmin && (
          <nav aria-label="Admin">
            <ul>
              {SECTIONS.map(([id, label]) => (
                <li>
                  <a href={`#${id}`} aria-current={section === id ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
              <li>
                <a href="/account">My account</a>
              </li>
            </ul>
          </nav>
        )
      }
    >
      {me.loading && <p aria-live="polite">Loading…</p>}
      {me.error instanceof ApiError && me.error.status === 401 && <SignInFirst />}
      {me.data && !isAdmin && (
        <p role="alert" id="not-admin">
          This console is for staff. You are signed in as {me.data.email}, a member: <a href="/account">go to your account</a>.
        </p>
      )}
      {isAdmin && (
        <div id="console">
          {section === 'grants' && <GrantsView assets={assets} />}
          {section === 'grants' && <BulkGrantsView />}
          {section === 'people' && <PeopleView assets={assets} />}
          {section === 'pools' && <PoolsView assets={assets} />}
          {section === 'keys' && <ServiceKeysView />}
          {section === 'settings' && <SettingsView />}
          {section === 'audit' && <AuditView />}
          {section === 'ops' && <OpsView />}
          {section === 'ledger' && <LedgerView />}
        </div>
      )}
    </Shell>
  );
}

mount(() => <AdminPage />);
