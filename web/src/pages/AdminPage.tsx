import { useQuery } from 'urql';
import { Empty, ErrorState, Loading } from '../components/States';
import { AuditEventsDocument } from '../gql/graphql';
import { ago } from '../lib/format';

// Admin: the audit trail, newest first. API tokens come next (issue 7).
export default function AdminPage() {
  const [res, reexec] = useQuery({ query: AuditEventsDocument, variables: { first: 100 } });
  const rows = (res.data?.auditEvents.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  return (
    <>
      <h1>Admin</h1>
      <h2>Audit trail</h2>
      {res.fetching && !res.data && <Loading what="the audit trail" />}
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {res.data && rows.length === 0 && <Empty title="No audit events yet">Every mutation, sign-in and action run writes one.</Empty>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="data">
            <caption className="visually-hidden">The latest {rows.length} audit events</caption>
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
                    <time dateTime={a.time} title={a.time}>
                      {ago(a.time)}
                    </time>
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
    </>
  );
}
