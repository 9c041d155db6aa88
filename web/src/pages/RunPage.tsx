// One run: its state, plan, approvals (approve or reject with a comment)
// and its log, followed live through the runEvents subscription.

import { useEffect, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { RefLink } from '../components/EntityBits';
import { Empty, ErrorState, Loading } from '../components/States';
import { ApproveRunDocument, CancelRunDocument, RejectRunDocument, RunDocument, RunEventsDocument, type RunEventsSubscription } from '../gql/graphql';
import { describeError } from '../lib/errors';
import { ago } from '../lib/format';
import { RunState } from './RunsPage';

type Event = RunEventsSubscription['runEvents'];
const finished = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'REJECTED']);

export default function RunPage({ id }: { id: string }) {
  const [res, reexec] = useQuery({ query: RunDocument, variables: { id } });
  const run = res.data?.run;
  const lastSeq = run?.events.reduce((m, e) => Math.max(m, e.seq), 0) ?? 0;
  const live = !!run && !finished.has(run.state);
  const [live$] = useSubscription<Event, Event[]>(
    { query: RunEventsDocument, variables: { id, after: lastSeq }, pause: !live },
    (prev = [], data) => [...prev, (data as unknown as RunEventsSubscription).runEvents],
  );
  const liveEvents = (live$.data ?? []) as Event[];
  const [comment, setComment] = useState('');
  const [approve, doApprove] = useMutation(ApproveRunDocument);
  const [reject, doReject] = useMutation(RejectRunDocument);
  const [cancel, doCancel] = useMutation(CancelRunDocument);
  const mutError = approve.error ?? reject.error ?? cancel.error;

  // A state event means the run moved on: read it again.
  const lastState = liveEvents.filter((e) => e.kind === 'state').length;
  useEffect(() => {
    if (lastState > 0) reexec({ requestPolicy: 'network-only' });
  }, [lastState, reexec]);

  if (res.fetching && !res.data) return <Loading what="the run" />;
  if (res.error && !run) return <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />;
  if (!run) {
    return (
      <>
        <h1>Run {id}</h1>
        <Empty title="No such run">It does not exist, or you may not see it.</Empty>
      </>
    );
  }
  const seen = new Set(run.events.map((e) => e.seq));
  const events = [...run.events, ...liveEvents.filter((e) => !seen.has(e.seq))].sort((a, b) => a.seq - b.seq);
  return (
    <>
      <h1>
        {run.action} <RunState state={run.state} />
      </h1>
      <dl className="facts">
        <dt>On</dt>
        <dd>
          <RefLink refText={run.target} />
        </dd>
        <dt>Asked by</dt>
        <dd>{run.requester}</dd>
        <dt>Asked</dt>
        <dd>{ago(run.createdAt)}</dd>
        {run.approvalExpiresAt && run.state === 'PENDING_APPROVAL' && (
          <>
            <dt>Approval expires</dt>
            <dd>{ago(run.approvalExpiresAt)}</dd>
          </>
        )}
        {run.error && (
          <>
            <dt>Error</dt>
            <dd className="error-text">{run.error}</dd>
          </>
        )}
      </dl>
      {run.plan && (
        <section>
          <h2>Plan</h2>
          <p>{run.plan.summary}</p>
          {run.plan.changes.map((c, i) => (
            <details key={i} open={run.plan!.changes.length <= 3}>
              <summary>
                {c.action} {c.kind} {c.name}
              </summary>
              <pre className="diff">{c.diff}</pre>
            </details>
          ))}
        </section>
      )}
      {run.state === 'PENDING_APPROVAL' && (
        <section>
          <h2>Decide</h2>
          <label htmlFor="comment">Comment (optional)</label>
          <textarea id="comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
          <p className="actions">
            <button type="button" className="button primary" disabled={approve.fetching} onClick={() => void doApprove({ id, comment: comment || null })}>
              Approve
            </button>
            <button type="button" className="button danger" disabled={reject.fetching} onClick={() => void doReject({ id, comment: comment || null })}>
              Reject
            </button>
          </p>
        </section>
      )}
      {live && run.state !== 'PENDING_APPROVAL' && (
        <p>
          <button type="button" className="button" disabled={cancel.fetching} onClick={() => void doCancel({ id })}>
            Cancel run
          </button>
        </p>
      )}
      {mutError && (
        <p className="notice error" role="alert">
          {describeError(mutError).message}
        </p>
      )}
      {run.approvals.length > 0 && (
        <section>
          <h2>Approvals</h2>
          <ul>
            {run.approvals.map((a, i) => (
              <li key={i}>
                {a.approver} {a.decision} {ago(a.time)}
                {a.comment && `: “${a.comment}”`}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h2>Log</h2>
        {events.length === 0 ? (
          <p className="muted">Nothing logged yet.</p>
        ) : (
          <ol className="log" aria-live={live ? 'polite' : 'off'} tabIndex={0} aria-label="Run log">
            {events.map((e) => (
              <li key={e.seq} className={`log-${e.kind}`}>
                <time dateTime={e.time}>{new Date(e.time).toLocaleTimeString()}</time> {e.message}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}
