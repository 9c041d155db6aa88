// One run: its state, who asked, who may approve it (while it waits), the
// plan (approvers read it before they decide), approve or reject with a
// comment, the approvals so far, input and result, and its log, followed
// live through the runEvents subscription. The log scrolls to new lines
// only while the reader is at its bottom.

import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useClient, useMutation, useQuery, useSubscription } from 'urql';
import { ApproverList } from '../components/Approvers';
import { RefLink } from '../components/EntityBits';
import { PlanView } from '../components/PlanView';
import { Empty, ErrorState, Loading } from '../components/States';
import {
  ApproveRunDocument,
  CancelRunDocument,
  RejectRunDocument,
  RunDocument,
  RunEventsDocument,
  RunLogDocument,
  ViewerDocument,
  type RunEventsSubscription,
} from '../gql/graphql';
import { shouldFollow } from '../lib/autoScroll';
import { describeError } from '../lib/errors';
import { ago } from '../lib/format';
import { RunState } from './RunsPage';

type Event = RunEventsSubscription['runEvents'];
const finished = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'REJECTED']);

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {ago(iso)}
    </time>
  );
}

function Json({ value, label }: { value: unknown; label: string }) {
  const empty = value == null || (typeof value === 'object' && Object.keys(value as object).length === 0);
  if (empty) return <p className="muted">None.</p>;
  return (
    <pre className="json" tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

function Log({ events, live }: { events: readonly Event[]; live: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const lastTop = useRef(0);
  const [behind, setBehind] = useState(false);

  const onScroll = () => {
    const b = box.current;
    if (!b) return;
    follow.current = shouldFollow(lastTop.current, b, follow.current);
    lastTop.current = b.scrollTop;
    if (follow.current) setBehind(false);
  };
  useLayoutEffect(() => {
    const b = box.current;
    if (!b) return;
    if (follow.current) {
      b.scrollTop = b.scrollHeight;
      lastTop.current = b.scrollTop;
    } else setBehind(true);
  }, [events.length]);
  const jump = () => {
    const b = box.current;
    if (!b) return;
    follow.current = true;
    b.scrollTop = b.scrollHeight;
    lastTop.current = b.scrollTop;
    setBehind(false);
    b.focus();
  };

  return (
    <section aria-labelledby="log-h">
      <h2 id="log-h">Log</h2>
      {live && <p className="muted">Following the run live: new lines appear as they are written.</p>}
      {events.length === 0 ? (
        <p className="muted">Nothing logged yet.</p>
      ) : (
        <div className="log" role="log" aria-label="Run log" aria-live={live ? 'polite' : 'off'} tabIndex={0} ref={box} onScroll={onScroll}>
          <ol>
          {events.map((e) => (
            <li key={e.seq} className={`log-${e.kind}`}>
              <time dateTime={e.time}>{new Date(e.time).toLocaleTimeString()}</time> {e.kind !== 'log' && <span className="visually-hidden">{e.kind}: </span>}
              {e.message}
            </li>
          ))}
          </ol>
        </div>
      )}
      {behind && (
        <p>
          <button type="button" className="button" onClick={jump}>
            Jump to the latest line
          </button>
        </p>
      )}
    </section>
  );
}

function WhoApproves({ approvers, target, requester, you }: { approvers: readonly string[]; target: string; requester: string; you: boolean }) {
  return (
    <div className="notice warn" role="status">
      <p className="state-title">Waiting for approval</p>
      <p className="approvers">
        This run starts only once one of these approves it: <ApproverList list={approvers} target={target} />. Never the person who
        asked{you ? ': you cannot approve your own run' : ` (${requester})`}.
      </p>
      <p>Approvers find it under Runs &amp; approvals, “Waiting for my approval”.</p>
    </div>
  );
}

export default function RunPage({ id }: { id: string }) {
  const [res, reexec] = useQuery({ query: RunDocument, variables: { id } });
  const [viewer] = useQuery({ query: ViewerDocument });
  const run = res.data?.run;
  const lastSeq = run?.events.reduce((m, e) => Math.max(m, e.seq), 0) ?? 0;
  const live = !!run && !finished.has(run.state);
  const [live$] = useSubscription<Event, Event[]>(
    { query: RunEventsDocument, variables: { id, after: lastSeq }, pause: !live },
    (prev = [], data) => [...prev, (data as unknown as RunEventsSubscription).runEvents],
  );
  const liveEvents = (live$.data ?? []) as Event[];
  const client = useClient();
  const [older, setOlder] = useState<Event[]>([]);
  const [loadingMore, setLoadingMore] = useState(false);
  const [exhausted, setExhausted] = useState(false);
  const [comment, setComment] = useState('');
  const [approve, doApprove] = useMutation(ApproveRunDocument);
  const [reject, doReject] = useMutation(RejectRunDocument);
  const [cancel, doCancel] = useMutation(CancelRunDocument);
  const [done, setDone] = useState<string | null>(null);
  const mutError = approve.error ?? reject.error ?? cancel.error;

  // A state event means the run moved on: read it again.
  const lastState = liveEvents.filter((e) => e.kind === 'state').length;
  useEffect(() => {
    if (lastState > 0) reexec({ requestPolicy: 'network-only' });
  }, [lastState, reexec]);

  if (res.fetching && !res.data) return <Loading what="the run" />;
  if (res.error && !run) {
    return (
      <>
        <h1>Run {id}</h1>
        <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />
      </>
    );
  }
  if (!run) {
    return (
      <>
        <h1>Run {id}</h1>
        <Empty title="No such run">
          <p>It does not exist, or you may not see it. The runs you may see are under Runs &amp; approvals.</p>
        </Empty>
      </>
    );
  }
  const seen = new Set(run.events.map((e) => e.seq));
  const more = older.filter((e) => !seen.has(e.seq));
  more.forEach((e) => seen.add(e.seq));
  const events = [...run.events, ...more, ...liveEvents.filter((e) => !seen.has(e.seq))].sort((a, b) => a.seq - b.seq);
  // The first read has at most 500 lines; a finished run's further lines are read on demand.
  const maybeMore = !live && run.events.length >= 500 && !exhausted;
  const loadMore = async () => {
    setLoadingMore(true);
    const after = events.reduce((m, e) => Math.max(m, e.seq), 0);
    const r = await client.query(RunLogDocument, { id, after }, { requestPolicy: 'network-only' }).toPromise();
    setLoadingMore(false);
    const got = r.data?.run?.events ?? [];
    setOlder((o) => [...o, ...got]);
    if (got.length < 500) setExhausted(true);
  };
  const v = viewer.data?.viewer;
  const you = !!v && [v.user, v.email, v.name].some((x) => !!x && x === run.requester);
  const decide = async (approveIt: boolean) => {
    setDone(null);
    const r = approveIt ? await doApprove({ id, comment: comment.trim() || null }) : await doReject({ id, comment: comment.trim() || null });
    if (!r.error) {
      setDone(approveIt ? 'You approved the run.' : 'You rejected the run.');
      setComment('');
      reexec({ requestPolicy: 'network-only' });
    }
  };
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
        <dd>
          <When iso={run.createdAt} />
        </dd>
        {run.startedAt && (
          <>
            <dt>Started</dt>
            <dd>
              <When iso={run.startedAt} />
            </dd>
          </>
        )}
        {run.finishedAt && (
          <>
            <dt>Finished</dt>
            <dd>
              <When iso={run.finishedAt} />
            </dd>
          </>
        )}
        {run.attempts > 1 && (
          <>
            <dt>Attempts</dt>
            <dd>{run.attempts}</dd>
          </>
        )}
        {run.approvalExpiresAt && run.state === 'PENDING_APPROVAL' && (
          <>
            <dt>Approval expires</dt>
            <dd>
              <When iso={run.approvalExpiresAt} />
            </dd>
          </>
        )}
        <dt>Run id</dt>
        <dd>
          <code>{run.id}</code>
        </dd>
      </dl>
      {run.state === 'PENDING_APPROVAL' && <WhoApproves approvers={run.approvers} target={run.target} requester={run.requester} you={you} />}
      {run.error && (
        <p className="notice error">
          <strong>Error:</strong> {run.error}
        </p>
      )}
      {run.plan ? <PlanView plan={run.plan} /> : <p className="muted">This run has no plan.</p>}
      {run.state === 'PENDING_APPROVAL' && (
        <section aria-labelledby="decide-h">
          <h2 id="decide-h">Decide</h2>
          <p>Read the plan above: approving lets the run make exactly those changes.</p>
          <label htmlFor="comment">Comment (optional)</label>
          <textarea id="comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
          <p className="actions">
            <button type="button" className="button primary" disabled={approve.fetching || reject.fetching} onClick={() => void decide(true)}>
              Approve
            </button>
            <button type="button" className="button danger" disabled={approve.fetching || reject.fetching} onClick={() => void decide(false)}>
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
      <div role="status" aria-live="polite">
        {done && <p className="notice">{done}</p>}
      </div>
      {mutError && (
        <p className="notice error" role="alert">
          {describeError(mutError).message}
        </p>
      )}
      <section aria-labelledby="approvals-h">
        <h2 id="approvals-h">Approvals</h2>
        {run.approvals.length === 0 ? (
          <p className="muted">{run.state === 'PENDING_APPROVAL' ? 'No decision yet.' : 'None: this run did not need approval.'}</p>
        ) : (
          <ul className="approvals">
            {run.approvals.map((a, i) => (
              <li key={i}>
                <strong>{a.approver}</strong>{' '}
                <span className={`badge ${a.decision.toLowerCase().startsWith('approve') ? 'ok' : 'bad'}`}>{a.decision}</span> <When iso={a.time} />
                {a.comment && <blockquote>{a.comment}</blockquote>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="input-h">
        <h2 id="input-h">Input</h2>
        <Json value={run.input} label="Run input" />
      </section>
      {(run.state === 'SUCCEEDED' || run.result != null) && (
        <section aria-labelledby="result-h">
          <h2 id="result-h">Result</h2>
          <Json value={run.result} label="Run result" />
        </section>
      )}
      <Log events={events} live={live} />
      {maybeMore && (
        <p>
          <button type="button" className="button" disabled={loadingMore} onClick={() => void loadMore()}>
            Show more of the log
          </button>
        </p>
      )}
    </>
  );
}
