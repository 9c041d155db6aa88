// Action runs, newest first, and the approvals inbox: the runs waiting
// for the viewer's decision.

import { useQuery } from 'urql';
import { RefLink } from '../components/EntityBits';
import { Empty, ErrorState, Loading } from '../components/States';
import { RunsDocument } from '../gql/graphql';
import { ago } from '../lib/format';
import { Link } from '../lib/nav';

export function RunState({ state }: { state: string }) {
  return <span className={`badge run-${state.toLowerCase()}`}>{state.toLowerCase().replace('_', ' ')}</span>;
}

export default function RunsPage({ view }: { view: 'runs' | 'approvals' }) {
  const approvals = view === 'approvals';
  const [res, reexec] = useQuery({ query: RunsDocument, variables: { toApprove: approvals || null, first: 100 }, requestPolicy: 'cache-and-network' });
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
      {res.fetching && !res.data && <Loading what="runs" />}
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {res.data && runs.length === 0 && (
        <Empty title={approvals ? 'Nothing waits for your approval' : 'No runs yet'}>
          <p>{approvals ? 'Runs that need your decision appear here.' : 'Run an action from an entity’s page, and its run appears here.'}</p>
        </Empty>
      )}
      {runs.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">On</th>
                <th scope="col">State</th>
                <th scope="col">Asked by</th>
                <th scope="col">Asked</th>
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
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
