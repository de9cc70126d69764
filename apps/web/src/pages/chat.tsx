import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, newIdempotencyKey, type Page, type PersonView } from '../api';
import { converseStreaming, type ConverseResponse } from '../turn-stream';
import type { components } from '../api-types.gen';
import { fmtAmount, fmtDate, LoadError, mount, Select, Shell, SignInFirst, Status, useAction, useLoad } from '../ui';

type Schemas = components['schemas'];
type Engagement = Schemas['EngagementSchema'];
type Conversation = Schemas['ConversationSchema'];
type Turn = Schemas['TurnSchema'];

/** One line of the conversation as shown: a turn from the server, or the answer to a message just sent. */
interface Line {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  createdAt: string;
  /** what the turn held and charged, known for turns sent from this page */
  credit?: ConverseResponse['credit'];
  models?: ConverseResponse['models'];
  keySource?: ConverseResponse['keySource'];
}

const REFUSED: Record<string, string> = {
  credit_exhausted: 'Not sent: you have no credit left for a turn on the service’s key. Claim a grant on your account page, or set your own key.',
  limit_reached: 'Not sent: your spend limit for this period is reached. It resets when the period ends.',
  account_suspended: 'Not sent: your account is suspended.',
  account_deleted: 'Not sent: your account is deleted.',
};

const KEY_SOURCE: Record<string, string> = { system: 'the service’s key', person: 'your own key', operator: 'the engagement’s key' };

/** What a turn held and charged, or which key paid for it. */
function TurnCost({ line }: { line: Line }) {
  if (line.credit) {
    return (
      <p class="muted turn-cost">
        {line.models && `${line.models.responder} · `}held {fmtAmount(line.credit.held)} {line.credit.asset}, charged {fmtAmount(line.credit.charged)}; {fmtAmount(line.credit.balanceAfter)} left
      </p>
    );
  }
  return line.keySource ? <p class="muted turn-cost">On {KEY_SOURCE[line.keySource] ?? line.keySource}: no credit charged.</p> : null;
}

function ChatView({ engagement }: { engagement: Engagement }) {
  const base = `/engagements/${engagement.id}`;
  const conversations = useLoad(() => api<{ items: Conversation[] }>('GET', `${base}/conversations?limit=20`), [engagement.id]);
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [lines, setLines] = useState<Line[]>([]);
  const [message, setMessage] = useState('');
  const send = useAction();
  const open = useAction();
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => end.current?.scrollIntoView({ block: 'nearest' }), [lines.length]);

  function openConversation(id: string) {
    open.run(async () => {
      // The turns come a page at a time, oldest first: follow the cursor to the latest.
      const turns: Turn[] = [];
      let cursor: string | null = null;
      do {
        const page: Page<Turn> = await api<Page<Turn>>('GET', `${base}/conversations/${id}/turns?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        turns.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      setConversationId(id);
      setLines(turns.map((t) => ({ id: t.id, role: t.role, content: t.content, createdAt: t.createdAt })));
    });
  }

  return (
    <div class="grid chat">
      <section class="card" aria-labelledby="conversations-title">
        <h2 id="conversations-title">Conversations</h2>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setConversationId(null);
            setLines([]);
          }}
        >
          New conversation
        </button>
        <LoadError error={conversations.error} />
        {conversations.data && conversations.data.items.length === 0 && <p class="muted">None yet.</p>}
        <ul class="rows" id="conversations">
          {conversations.data?.items.map((c) => (
            <li>
              <button type="button" class="link" aria-current={c.id === conversationId ? 'true' : undefined} onClick={() => openConversation(c.id)}>
                {c.title}
              </button>
              <span class="muted"> · {fmtDate(c.lastTurnAt)}</span>
            </li>
          ))}
        </ul>
        <Status message={open.message} />
      </section>
      <section class="card" aria-labelledby="thread-title">
        <h2 id="thread-title">{conversationId ? 'Conversation' : 'New conversation'}</h2>
        <ol class="thread" id="thread" aria-live="polite">
          {lines.map((line) => (
            <li class={`turn-line ${line.role}`}>
              <p class="who">{line.role === 'user' ? 'You' : 'Assistant'}</p>
              <p class="content">{line.content}</p>
              {line.role === 'assistant' && <TurnCost line={line} />}
            </li>
          ))}
        </ol>
        <div ref={end} />
        <form
          id="send"
          onSubmit={(e) => {
            e.preventDefault();
            const text = message.trim();
            if (!text) return;
            send.run(async () => {
              const at = new Date().toISOString();
              const pending: Line = { id: `${at}-a`, role: 'assistant', content: '', createdAt: at };
              setLines((l) => [...l, { id: `${at}-u`, role: 'user', content: text, createdAt: at }, pending]);
              setMessage('');
              const update = (change: Partial<Line>) => setLines((l) => l.map((line) => (line.id === pending.id ? { ...line, ...change } : line)));
              let streamed = '';
              try {
                // The reply streams in as it is written (reply.delta); the final answer carries what the turn cost.
                const answer = await converseStreaming(`${base}/converse`, { message: text, ...(conversationId && { conversationId }) }, newIdempotencyKey(), (delta) => {
                  streamed += delta;
                  update({ content: streamed });
                });
                if (answer.status !== 'ok') throw new Error(REFUSED[answer.status] ?? answer.status);
                update({ content: answer.reply ?? streamed, credit: answer.credit, models: answer.models, keySource: answer.keySource });
                if (!conversationId && answer.conversationId) {
                  setConversationId(answer.conversationId);
                  conversations.reload();
                }
              } catch (error) {
                // Nothing was kept: the message goes back into the box to send again.
                setLines((l) => l.filter((line) => line.id !== pending.id && line.id !== `${at}-u`));
                setMessage(text);
                throw error;
              }
            });
          }}
        >
          <div class="field wide">
            <label for="message">Message</label>
            <textarea id="message" rows={3} required maxLength={32000} value={message} onInput={(e) => setMessage(e.currentTarget.value)} />
          </div>
          <button type="submit" disabled={send.busy}>
            {send.busy ? 'Waiting for the reply…' : 'Send'}
          </button>
        </form>
        <Status message={send.message} id="send-status" />
      </section>
    </div>
  );
}

/** A member's conversations: pick an engagement, send, see the reply with what the turn held and charged, read earlier ones. */
function ChatPage() {
  const me = useLoad(() => api<PersonView>('GET', '/me'));
  const engagements = useLoad(() => (me.data ? api<{ items: Engagement[] }>('GET', '/me/engagements') : Promise.resolve(null)), [me.data?.id]);
  const [chosen, setChosen] = useState('');
  const items = engagements.data?.items ?? [];
  const engagement = items.find((e) => e.id === chosen) ?? items[0];
  const unauthenticated = me.error instanceof ApiError && me.error.status === 401;
  return (
    <Shell
      title="Conversations"
      signedIn={Boolean(me.data)}
      nav={
        me.data && (
          <nav aria-label="Main">
            <a href="/account">Your account</a>
          </nav>
        )
      }
    >
      {me.loading && <p aria-live="polite">Loading…</p>}
      {unauthenticated && <SignInFirst />}
      {!unauthenticated && <LoadError error={me.error ?? engagements.error} />}
      {items.length > 1 && (
        <Select
          label="Engagement"
          id="engagement"
          value={engagement?.id}
          onChange={(e) => setChosen(e.currentTarget.value)}
          options={items.map((e): [string, string] => [e.id, e.personal ? `${e.name} (personal)` : e.name])}
        />
      )}
      {engagement && <ChatView key={engagement.id} engagement={engagement} />}
    </Shell>
  );
}

mount(() => <ChatPage />);
