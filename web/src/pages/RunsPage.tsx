// Action runs, newest first, and the approvals inbox: the runs waiting
// for the viewer's decision, each with its plan's summary and a link to
// review the whole plan before deciding.

import { useState } from 'react';
import { useQuery } from 'urql';
import { RefLink } from '../components/EntityBits';
import { Empty, ErrorState, Loading } from '../components/States';
import { RunsDocument, type RunState as State } from '../gql/graphql';
import { ago } from '../lib/format';
import { Link } from '../lib/nav';

const states: State[] = ['PENDING_APPROVAL', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'REJECTED'];

export function stateLabel(state: string): string {
  return state.toLowerCase().replace('_', ' ');
}

export function RunState({ state }: { state: string }) {
  return <span className={`badge run-${state.toLowerCase()}`}>{stateLabel(state)}</span>;
}

export default function RunsPage({ view }: { view: 'runs' | 'approvals' }) {
  const approvals = view === 'approvals';
  const [state, setState] = useState<State | ''>('');
  const [mine, setMine] = useState(false);
  const [res, reexec] = useQuery({
    query: RunsDocument,
    variables: approvals ? { toApprove: true, first: 100 } : { state: state || null, mine: mine || null, first: 100 },
    requestPolicy: 'cache-and-network',
  });
  const runs = res.data?.runs ?? [];
  return (
    <>
      <h1>{approvals ? 'Approvals' : 'Runs'}</h1>
      <nav aria-label="Runs views" className="tabs">
        <ul>
          <li>
            <Link href="/runs" aria-current={!approvals ? 'page' : undefined}>
              All runs
            </Link>
          </li>
          <li>
            <Link href="/approvals" aria-current={approvals ? 'page' : undefined}>
              Waiting for my approval
            </Link>
          </li>
        </ul>
      </nav>
      {approvals && <p>Runs that wait for your decision. Open one to read its plan, then approve or reject it with a comment.</p>}
      {!approvals && (
        <div className="toolbar">
          <label htmlFor="run-state">State</label>
          <select id="run-state" value={state} onChange={(e) => setState(e.target.value as State | '')}>
            <option value="">any</option>
            {states.map((s) => (
              <option key={s} value={s}>
                {stateLabel(s)}
              </option>
            ))}
          </select>
          <label className="check">
            <input type="checkbox" checked={mine} onChange={(e) => setMine(e.target.checked)} /> Only runs I asked for
          </label>
          <button type="button" className="button" onClick={() => reexec({ requestPolicy: 'network-only' })}>
            Refresh
          </button>
        </div>
      )}
      {res.fetching && !res.data && <Loading what="runs" />}
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {res.data && runs.length === 0 && (
        <Empty title={approvals ? 'Nothing waits for your approval' : state || mine ? 'No run matches' : 'No runs yet'}>
          <p>
            {approvals
              ? 'Runs that need your decision appear here: actions on what your groups own that their policy sends to you.'
              : state || mine
                ? 'Change the filters above to see other runs.'
                : 'Open an entity, then its Actions tab: the runs you ask for appear here.'}
          </p>
        </Empty>
      )}
      {runs.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <caption className="visually-hidden">{approvals ? 'Runs waiting for your approval' : 'Action runs, newest first'}</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">On</th>
                <th scope="col">State</th>
                <th scope="col">Asked by</th>
                <th scope="col">Asked</th>
                {approvals && <th scope="col">Plan</th>}
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    <Link href={`/runs/${encodeURIComponent(r.id)}`}>{r.action}</Link>
                  </th>
                  <td>
                    <RefLink refText={r.target} />
                  </td>
                  <td>
                    <RunState state={r.state} />
                  </td>
                  <td>{r.requester}</td>
                  <td>{ago(r.createdAt)}</td>
                  {approvals && (
                    <td className="desc">
                      {r.plan?.summary}{' '}
                      <Link href={`/runs/${encodeURIComponent(r.id)}`} aria-label={`Review ${r.action} on ${r.target}`}>
                        Review
                      </Link>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
