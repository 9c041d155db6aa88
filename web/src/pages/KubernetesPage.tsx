// Kubernetes: clusters, environments and databases from Pont's live
// inventory, read again whenever the inventoryChanged subscription says
// something changed.

import { useEffect, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { RefLink } from '../components/EntityBits';
import { Empty, ErrorState, Loading } from '../components/States';
import { InventoryChangedDocument, InventoryDocument } from '../gql/graphql';
import { ago } from '../lib/format';
import { ttl } from '../lib/inventory';

export default function KubernetesPage() {
  const [res, reexec] = useQuery({ query: InventoryDocument, requestPolicy: 'cache-and-network' });
  const [changes] = useSubscription({ query: InventoryChangedDocument });
  const [filter, setFilter] = useState('');
  useEffect(() => {
    if (changes.data) reexec({ requestPolicy: 'network-only' });
  }, [changes.data, reexec]);

  const d = res.data;
  const f = filter.trim().toLowerCase();
  const match = (...s: (string | null | undefined)[]) => !f || s.some((x) => x?.toLowerCase().includes(f));
  const envs = d?.environments.nodes.filter((e) => match(e.name, e.namespace, e.cluster, e.owner)) ?? [];
  const dbs = d?.databases.nodes.filter((b) => match(b.name, b.namespace, b.cluster, b.owner, b.engine, b.environment)) ?? [];

  return (
    <>
      <h1>Kubernetes</h1>
      <p className="muted" role="status" aria-live="polite">
        {changes.error ? 'Live updates are off (the subscription failed); reload to try again.' : 'Updates live as clusters change.'}
      </p>
      {res.fetching && !d && <Loading what="the inventory" />}
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {d && d.clusters.length === 0 && (
        <Empty title="No clusters">
          <p>
            Pont watches the clusters listed under <code>kubernetes.clusters</code> in its configuration (docs/kubernetes.md). Add one, and
            its environments and databases appear here.
          </p>
        </Empty>
      )}
      {d && d.clusters.length > 0 && (
        <>
          <h2>Clusters</h2>
          <div className="table-wrap">
            <table className="data">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Health</th>
                  <th scope="col">Version</th>
                  <th scope="col">Last sync</th>
                  <th scope="col">Database kinds</th>
                </tr>
              </thead>
              <tbody>
                {d.clusters.map((c) => (
                  <tr key={c.name}>
                    <th scope="row">
                      {c.name} <span className="sub">{c.server}</span>
                    </th>
                    <td>{c.reachable ? <span className="badge ok">reachable</span> : <span className="badge bad" title={c.error ?? ''}>unreachable</span>}</td>
                    <td>{c.version ?? <span className="muted">unknown</span>}</td>
                    <td>{c.lastSyncAt ? ago(c.lastSyncAt) : <span className="muted">not yet</span>}</td>
                    <td>{c.kinds.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="toolbar">
            <label htmlFor="kfilter">Filter environments and databases</label>
            <input id="kfilter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </div>
          <h2>Environments ({envs.length})</h2>
          {envs.length === 0 ? (
            <p className="muted">No environment{f ? ' matches the filter' : ': label a namespace with Pont’s environment label'}.</p>
          ) : (
            <div className="table-wrap">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Environment</th>
                    <th scope="col">Cluster / namespace</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Phase</th>
                    <th scope="col">Quota</th>
                    <th scope="col">Time to live</th>
                  </tr>
                </thead>
                <tbody>
                  {envs.map((e) => (
                    <tr key={`${e.cluster}/${e.namespace}`}>
                      <th scope="row">
                        <RefLink refText={e.entityRef} contextKind="resource" />
                        {e.stale && <span className="badge warn">stale</span>}
                        <span className="sub">{e.name}</span>
                      </th>
                      <td>{e.cluster}/{e.namespace}</td>
                      <td>
                        <RefLink refText={e.owner} contextKind="group" />
                      </td>
                      <td>{e.phase}</td>
                      <td>{e.quota.map((q) => `${q.resource} ${q.used ?? '?'}/${q.hard}`).join(', ')}</td>
                      <td>
                        <span className={`ttl-${ttl(e.expiresAt).level}`}>{ttl(e.expiresAt).text}</span>
                        {e.createdBy && <span className="sub">for {e.createdBy}</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h2>Databases ({dbs.length})</h2>
          {dbs.length === 0 ? (
            <p className="muted">No database{f ? ' matches the filter' : ''}.</p>
          ) : (
            <div className="table-wrap">
              <table className="data">
                <thead>
                  <tr>
                    <th scope="col">Database</th>
                    <th scope="col">Engine</th>
                    <th scope="col">Instances</th>
                    <th scope="col">Health</th>
                    <th scope="col">Operator says</th>
                    <th scope="col">Owner</th>
                  </tr>
                </thead>
                <tbody>
                  {dbs.map((b) => (
                    <tr key={`${b.cluster}/${b.namespace}/${b.name}`}>
                      <th scope="row">
                        <RefLink refText={b.entityRef} contextKind="resource" />
                        <span className="sub">{b.cluster}/{b.namespace}</span>
                      </th>
                      <td>{b.engine} {b.version}</td>
                      <td>{b.readyInstances ?? '?'}/{b.desiredInstances ?? '?'}</td>
                      <td>
                        <span className={`badge health-${b.health.toLowerCase()}`}>{b.health.toLowerCase()}</span>
                        {b.stale && <span className="badge warn">stale</span>}
                      </td>
                      <td className="desc">{[b.phase, b.message].filter(Boolean).join(': ')}</td>
                      <td>
                        <RefLink refText={b.owner} contextKind="group" />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}
