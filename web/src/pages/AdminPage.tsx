// Admin: API tokens (everyone's own; admins see all) — mint one, shown
// once with a copy button, list, revoke — and, for admins, the audit
// trail with filters (action, actor, target, outcome, time).

import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Empty, ErrorState, Loading } from '../components/States';
import {
  ApiTokensDocument,
  AuditEventsDocument,
  CreateApiTokenDocument,
  RevokeApiTokenDocument,
  ViewerDocument,
  type ApiTokenRowFragment,
  type AuditEventWhereInput,
} from '../gql/graphql';
import { auditWhere, emptyAuditFilter, filterProblem, type AuditFilter } from '../lib/audit';
import { describeError } from '../lib/errors';
import { ago } from '../lib/format';
import { lifetimes, tokenInput, tokenState, type TokenDraft } from '../lib/tokens';

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {ago(iso)}
    </time>
  );
}

function NewToken({ token, name, onDone }: { token: string; name: string; onDone: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);
  useEffect(() => box.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token);
      setCopied('Copied to the clipboard.');
    } catch {
      field.current?.select();
      setCopied('Your browser did not let Pont copy: the token is selected, press Ctrl+C (or ⌘C).');
    }
  };
  return (
    <div className="notice ok new-token" tabIndex={-1} ref={box} role="region" aria-labelledby="new-token-h">
      <h3 id="new-token-h">Your new token “{name}”</h3>
      <p>
        <strong>Copy it now: Pont shows it only this once.</strong> Send it as <code>Authorization: Bearer …</code>.
      </p>
      <p className="token-row">
        <label htmlFor="new-token">New API token</label>
        <input id="new-token" ref={field} readOnly value={token} size={Math.min(60, token.length)} onFocus={(e) => e.target.select()} />
        <button type="button" className="button primary" onClick={() => void copy()}>
          Copy token
        </button>
      </p>
      <p role="status" aria-live="polite">
        {copied}
      </p>
      <p>
        <button type="button" className="button" onClick={onDone}>
          Done, I have copied it
        </button>
      </p>
    </div>
  );
}

function TokenRow({ t, onRevoked }: { t: ApiTokenRowFragment; onRevoked: (msg: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [res, revoke] = useMutation(RevokeApiTokenDocument);
  const state = tokenState(t);
  const confirmBtn = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmBtn.current?.focus();
  }, [confirming]);
  return (
    <tr>
      <th scope="row">
        {t.name} <span className="sub">{t.prefix}…</span>
      </th>
      <td>{t.ownerName}</td>
      <td>{t.scopes.join(', ')}</td>
      <td>
        <When iso={t.createdAt} />
      </td>
      <td>
        <When iso={t.expiresAt} />
      </td>
      <td>{t.lastUsedAt ? <When iso={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
      <td>
        <span className={`badge ${state === 'active' ? 'ok' : 'bad'}`}>{state}</span>
      </td>
      <td>
        {state === 'active' &&
          (confirming ? (
            <span className="actions">
              <button
                type="button"
                ref={confirmBtn}
                className="button danger"
                disabled={res.fetching}
                onClick={async () => {
                  const r = await revoke({ id: t.id });
                  setConfirming(false);
                  if (!r.error) onRevoked(`Token “${t.name}” revoked: it no longer works.`);
                }}
              >
                Yes, revoke {t.name}
              </button>
              <button type="button" className="button" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" className="button danger" aria-label={`Revoke ${t.name}`} onClick={() => setConfirming(true)}>
              Revoke
            </button>
          ))}
        {res.error && (
          <span className="error-text" role="alert">
            {describeError(res.error).message}
          </span>
        )}
      </td>
    </tr>
  );
}

function Tokens({ admin }: { admin: boolean }) {
  const [list, reexec] = useQuery({ query: ApiTokensDocument, variables: { first: 100 } });
  const [created, create] = useMutation(CreateApiTokenDocument);
  const [draft, setDraft] = useState<TokenDraft>({ name: '', read: true, write: false, expiresIn: '720h' });
  const [problem, setProblem] = useState<{ text: string; field: 'name' | 'scopes' } | null>(null);
  const [shown, setShown] = useState<{ token: string; name: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const nameField = useRef<HTMLInputElement>(null);
  const tokens = (list.data?.apiTokens.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setNote(null);
    const r = tokenInput(draft);
    if ('problem' in r) {
      setProblem({ text: r.problem, field: r.field });
      if (r.field === 'name') nameField.current?.focus();
      return;
    }
    setProblem(null);
    const res = await create({ input: r.input });
    if (res.error) {
      const p = describeError({ ...res.error, response: res.error.response as { status?: number } | undefined });
      setProblem({ text: p.message, field: 'name' });
      return;
    }
    if (res.data) {
      setShown({ token: res.data.createAPIToken.token, name: res.data.createAPIToken.apiToken.name });
      setDraft({ ...draft, name: '' });
      reexec({ requestPolicy: 'network-only' });
    }
  };

  return (
    <section aria-labelledby="tokens-h">
      <h2 id="tokens-h">API tokens</h2>
      <p>
        A token acts as you for scripts and tools: <code>Authorization: Bearer &lt;token&gt;</code> on <code>/api/…</code>.{' '}
        {admin ? 'As an admin you see everyone’s tokens and may revoke any.' : 'You see and may revoke your own.'}
      </p>
      {shown ? (
        <NewToken
          token={shown.token}
          name={shown.name}
          onDone={() => {
            setShown(null);
            nameField.current?.focus();
          }}
        />
      ) : (
        <form className="token-form" onSubmit={(e) => void submit(e)} aria-labelledby="mint-h" noValidate>
          <h3 id="mint-h">Create a token</h3>
          <div className="field">
            <label htmlFor="token-name">Token name</label>
            <input
              id="token-name"
              ref={nameField}
              value={draft.name}
              maxLength={100}
              aria-invalid={problem?.field === 'name' || undefined}
              aria-describedby={problem?.field === 'name' ? 'token-problem' : 'token-name-help'}
              onChange={(e) => setDraft({ ...draft, name: e.target.value })}
            />
            <span id="token-name-help" className="sub">
              What it is for, e.g. “CI deploys”.
            </span>
          </div>
          <fieldset className="field" aria-describedby={problem?.field === 'scopes' ? 'token-problem' : undefined}>
            <legend>Scopes</legend>
            <label className="check">
              <input type="checkbox" checked={draft.read} onChange={(e) => setDraft({ ...draft, read: e.target.checked })} /> read
            </label>
            <label className="check">
              <input type="checkbox" checked={draft.write} onChange={(e) => setDraft({ ...draft, write: e.target.checked })} /> write (mutations
              and actions)
            </label>
          </fieldset>
          <div className="field">
            <label htmlFor="token-expiry">Expires after</label>
            <select id="token-expiry" value={draft.expiresIn} onChange={(e) => setDraft({ ...draft, expiresIn: e.target.value })}>
              {lifetimes.map((l) => (
                <option key={l.value} value={l.value}>
                  {l.label}
                </option>
              ))}
            </select>
          </div>
          {problem && (
            <p id="token-problem" className="notice error" role="alert">
              {problem.text}
            </p>
          )}
          <p>
            <button type="submit" className="button primary" disabled={created.fetching}>
              Create token
            </button>
          </p>
        </form>
      )}
      <div role="status" aria-live="polite">
        {note && <p className="notice">{note}</p>}
      </div>
      <h3>Tokens</h3>
      {list.fetching && !list.data && <Loading what="API tokens" />}
      {list.error && <ErrorState error={list.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {list.data && tokens.length === 0 && <Empty title="No API tokens">Create one above; it appears here (but its secret never again).</Empty>}
      {tokens.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <caption className="visually-hidden">API tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Acts as</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Revoke</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <TokenRow
                  key={t.id}
                  t={t}
                  onRevoked={(m) => {
                    setNote(m);
                    reexec({ requestPolicy: 'network-only' });
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const pageSize = 50;

function Audit() {
  const [draft, setDraft] = useState<AuditFilter>(emptyAuditFilter);
  const [applied, setApplied] = useState<AuditFilter>(emptyAuditFilter);
  const [after, setAfter] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const where = auditWhere(applied) as AuditEventWhereInput | undefined;
  const cursor = after[after.length - 1];
  const [res, reexec] = useQuery({ query: AuditEventsDocument, variables: { first: pageSize, after: cursor ?? null, where: where ?? null } });
  const rows = (res.data?.auditEvents.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const total = res.data?.auditEvents.totalCount;
  const filtered = !!where;

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const p = filterProblem(draft);
    setProblem(p);
    if (p) return;
    setApplied(draft);
    setAfter([]);
  };
  const clear = () => {
    setDraft(emptyAuditFilter);
    setApplied(emptyAuditFilter);
    setAfter([]);
    setProblem(null);
  };
  const set = (k: keyof AuditFilter) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">Audit trail</h2>
      <form className="filters" onSubmit={apply} aria-label="Filter the audit trail">
        <div className="field">
          <label htmlFor="af-action">Action</label>
          <input id="af-action" value={draft.action} onChange={set('action')} aria-describedby="af-action-help" />
          <span id="af-action-help" className="sub">
            Starts with, e.g. <code>token.</code> or <code>action.run</code>
          </span>
        </div>
        <div className="field">
          <label htmlFor="af-actor">Actor</label>
          <input id="af-actor" value={draft.actor} onChange={set('actor')} aria-describedby="af-actor-help" />
          <span id="af-actor-help" className="sub">
            Any part of the name
          </span>
        </div>
        <div className="field">
          <label htmlFor="af-target">Target</label>
          <input id="af-target" value={draft.target} onChange={set('target')} />
        </div>
        <div className="field">
          <label htmlFor="af-outcome">Outcome</label>
          <select id="af-outcome" value={draft.outcome} onChange={set('outcome')}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="denied">denied</option>
            <option value="failure">failure</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="af-from">From</label>
          <input id="af-from" type="datetime-local" value={draft.from} onChange={set('from')} />
        </div>
        <div className="field">
          <label htmlFor="af-to">Until</label>
          <input id="af-to" type="datetime-local" value={draft.to} onChange={set('to')} />
        </div>
        <p className="actions filter-buttons">
          <button type="submit" className="button primary">
            Filter
          </button>
          <button type="button" className="button" onClick={clear} disabled={!filtered && draft === emptyAuditFilter}>
            Clear filters
          </button>
        </p>
      </form>
      {problem && (
        <p className="notice error" role="alert">
          {problem}
        </p>
      )}
      <p role="status" aria-live="polite" className="muted">
        {total !== undefined && `${total.toLocaleString('en')} event${total === 1 ? '' : 's'}${filtered ? (total === 1 ? ' matches the filters' : ' match the filters') : ''}, newest first.`}
      </p>
      {res.fetching && !res.data && <Loading what="the audit trail" />}
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {res.data && rows.length === 0 && (
        <Empty title={filtered ? 'No audit event matches' : 'No audit events yet'}>
          <p>{filtered ? 'Loosen the filters, or clear them.' : 'Every mutation, sign-in and action run writes one.'}</p>
        </Empty>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id}>
                  <td>
                    <When iso={a.time} />
                  </td>
                  <td>
                    {a.actor} <span className="sub">{a.actorKind}</span>
                  </td>
                  <td>
                    <code>{a.action}</code>
                  </td>
                  <td className="desc">{a.target}</td>
                  <td>
                    <span className={`badge outcome-${a.outcome}`}>{a.outcome}</span>
                  </td>
                  <td className="desc">{a.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="pager">
        <button type="button" className="button" disabled={after.length === 0} onClick={() => setAfter(after.slice(0, -1))}>
          Newer events
        </button>
        <button
          type="button"
          className="button"
          disabled={!res.data?.auditEvents.pageInfo.hasNextPage}
          onClick={() => {
            const c = res.data?.auditEvents.pageInfo.endCursor;
            if (c) setAfter([...after, c]);
          }}
        >
          Older events
        </button>
      </p>
    </section>
  );
}

export default function AdminPage() {
  const [viewer] = useQuery({ query: ViewerDocument });
  const v = viewer.data?.viewer;
  const admin = !!v?.admin;
  return (
    <>
      <h1>{admin ? 'Admin' : 'API tokens'}</h1>
      <Tokens admin={admin} />
      {admin && <Audit />}
    </>
  );
}
