// The Kubernetes tab of an entity: a component's workloads, environments
// and databases (the server picks the component's); an environment's TTL
// (with the extend action), quota and databases; a database's state. Read
// again (at most twice a second) on each inventoryChanged event, so it
// updates live.

import { useEffect, useRef } from 'react';
import { useQuery, useSubscription } from 'urql';
import { RefLink } from '../components/EntityBits';
import { Empty, ErrorState, Loading } from '../components/States';
import {
  ComponentInventoryDocument,
  DatabaseInventoryDocument,
  EnvironmentInventoryDocument,
  InventoryChangedDocument,
  type ComponentInventoryQuery,
  type DatabaseRowFragment,
  type EnvironmentRowFragment,
} from '../gql/graphql';
import { ago } from '../lib/format';
import { byEntityRef, readiness, ttl } from '../lib/inventory';
import { Link } from '../lib/nav';
import { hrefOf, type Route } from '../lib/routes';

type EntityRoute = Extract<Route, { page: 'entity' }>;
type Workload = Extract<NonNullable<ComponentInventoryQuery['entity']>, { workloads: unknown }>['workloads'][number];

function Health({ health }: { health: string }) {
  return <span className={`badge health-${health.toLowerCase()}`}>{health.toLowerCase()}</span>;
}

function Stale({ stale }: { stale: boolean }) {
  return stale ? (
    <span className="badge warn" title="The cluster does not answer: this is the last state Pont saw">
      stale
    </span>
  ) : null;
}

/** Partial says when a list holds only the first of more (a component in over 200 environments). */
function Partial({ shown, total, what }: { shown: number; total: number; what: string }) {
  return total > shown ? (
    <p className="muted">
      The first {shown} of {total} {what}.
    </p>
  ) : null;
}

function Workloads({ list }: { list: readonly Workload[] }) {
  if (list.length === 0) {
    return (
      <Empty title="No workloads">
        <p>
          Pont finds a component’s Deployments, StatefulSets and Pods by the label <code>backstage.io/kubernetes-id</code> with the
          component’s name, on every cluster it watches. Label them, and they appear here.
        </p>
      </Empty>
    );
  }
  return (
    <div className="table-wrap">
      <table className="data">
        <caption className="visually-hidden">Workloads</caption>
        <thead>
          <tr>
            <th scope="col">Workload</th>
            <th scope="col">Where</th>
            <th scope="col">Ready</th>
            <th scope="col">Pods</th>
          </tr>
        </thead>
        <tbody>
          {list.map((w) => {
            const r = readiness(w.ready, w.desired);
            return (
              <tr key={`${w.cluster}/${w.namespace}/${w.kind}/${w.name}`}>
                <th scope="row">
                  {w.name} <span className="sub">{w.kind}</span>
                </th>
                <td>
                  {w.namespace} <span className="sub">{w.cluster}</span>
                </td>
                <td>
                  <span className={`badge ${r.ok ? 'ok' : 'warn'}`}>{r.text}</span>
                </td>
                <td>
                  {w.pods.length === 0 ? (
                    <span className="muted">none</span>
                  ) : (
                    <ul className="pods">
                      {w.pods.map((p) => (
                        <li key={p.name}>
                          <code>{p.name}</code> <span className={`badge ${p.ready ? 'ok' : 'bad'}`}>{p.ready ? 'ready' : p.phase.toLowerCase()}</span>
                          {p.restarts > 0 && <span className="sub-inline"> {p.restarts} restarts</span>}
                          {p.reasons.length > 0 && <span className="error-text"> {p.reasons.join(', ')}</span>}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function EnvironmentTable({ list }: { list: readonly EnvironmentRowFragment[] }) {
  return (
    <div className="table-wrap">
      <table className="data">
        <caption className="visually-hidden">Environments</caption>
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">Where</th>
            <th scope="col">State</th>
            <th scope="col">Time to live</th>
          </tr>
        </thead>
        <tbody>
          {list.map((e) => {
            const t = ttl(e.expiresAt);
            return (
              <tr key={`${e.cluster}/${e.namespace}`}>
                <th scope="row">
                  <RefLink refText={e.entityRef} contextKind="resource" />
                  <span className="sub">{e.name}</span>
                </th>
                <td>
                  {e.namespace} <span className="sub">{e.cluster}</span>
                </td>
                <td>
                  <span className={`badge ${e.phase === 'Active' ? 'ok' : 'warn'}`}>{e.phase}</span> <Stale stale={e.stale} />
                </td>
                <td>
                  <span className={`ttl-${t.level}`}>{t.text}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function DatabaseTable({ list }: { list: readonly DatabaseRowFragment[] }) {
  return (
    <div className="table-wrap">
      <table className="data">
        <caption className="visually-hidden">Databases</caption>
        <thead>
          <tr>
            <th scope="col">Database</th>
            <th scope="col">Engine</th>
            <th scope="col">Instances</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {list.map((b) => {
            const r = readiness(b.readyInstances, b.desiredInstances);
            return (
              <tr key={`${b.cluster}/${b.namespace}/${b.name}`}>
                <th scope="row">
                  <RefLink refText={b.entityRef} contextKind="resource" />
                  <span className="sub">
                    {b.namespace} on {b.cluster}
                  </span>
                </th>
                <td>
                  {b.engine} {b.version} <span className="sub">{b.operator}</span>
                </td>
                <td>{r.text}</td>
                <td>
                  <Health health={b.health} /> <Stale stale={b.stale} />
                  {b.phase && <span className="sub">{b.phase}</span>}
                  {b.message && <span className="sub">{b.message}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function EnvironmentDetail({ env, route, dbs }: { env: EnvironmentRowFragment; route: EntityRoute; dbs: readonly DatabaseRowFragment[] }) {
  const t = ttl(env.expiresAt);
  return (
    <>
      <section aria-labelledby="env-h">
        <h2 id="env-h">Environment</h2>
        <dl className="facts">
          <dt>Namespace</dt>
          <dd>
            {env.namespace} on {env.cluster}
          </dd>
          <dt>State</dt>
          <dd>
            <span className={`badge ${env.phase === 'Active' ? 'ok' : 'warn'}`}>{env.phase}</span> <Stale stale={env.stale} />
          </dd>
          <dt>Time to live</dt>
          <dd>
            <span className={`ttl-${t.level}`}>{t.text}</span>
            {env.expiresAt && (
              <span className="sub">
                at <time dateTime={env.expiresAt}>{new Date(env.expiresAt).toLocaleString()}</time>
              </span>
            )}
          </dd>
          <dt>Created by</dt>
          <dd>{env.createdBy || <span className="muted">not by Pont</span>}</dd>
          <dt>Created</dt>
          <dd>{ago(env.createdAt)}</dd>
          {env.components.length > 0 && (
            <>
              <dt>Components</dt>
              <dd>
                {env.components.map((c, i) => (
                  <span key={c}>
                    {i > 0 && ', '}
                    <RefLink refText={c} contextKind="component" />
                  </span>
                ))}
              </dd>
            </>
          )}
        </dl>
        <p>
          <Link className="button" href={hrefOf({ ...route, tab: 'actions', action: 'kubernetes.extend-environment' })}>
            Extend TTL
          </Link>{' '}
          <span className="muted">Moves the deletion to a time you choose (the action “Extend this environment’s TTL”).</span>
        </p>
      </section>
      {env.quota.length > 0 && (
        <section aria-labelledby="quota-h">
          <h2 id="quota-h">Quota</h2>
          <table className="kv">
            <tbody>
              {env.quota.map((q) => (
                <tr key={q.resource}>
                  <th scope="row">{q.resource}</th>
                  <td>
                    {q.used ?? '?'} of {q.hard}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <section aria-labelledby="envdb-h">
        <h2 id="envdb-h">Databases</h2>
        {dbs.length === 0 ? <p className="muted">No database in this environment. Run “Create a database” on it from its Actions tab.</p> : <DatabaseTable list={dbs} />}
      </section>
    </>
  );
}

export default function EntityKubernetes({ route, entityRef, kind, type }: { route: EntityRoute; entityRef: string; kind: string; type: string | null | undefined }) {
  const k = kind.toLowerCase();
  const view = k === 'component' ? 'component' : k === 'resource' && type === 'environment' ? 'environment' : 'database';
  // A component's environments and databases, and an environment's
  // databases, are filtered by the server; an environment's or a
  // database's own record is found among the first 200.
  const [comp, reexecComp] = useQuery({ query: ComponentInventoryDocument, variables: { ref: entityRef }, pause: view !== 'component' });
  const [envQ, reexecEnv] = useQuery({ query: EnvironmentInventoryDocument, variables: { ref: entityRef }, pause: view !== 'environment' });
  const [dbQ, reexecDb] = useQuery({ query: DatabaseInventoryDocument, pause: view !== 'database' });
  const res = view === 'component' ? comp : view === 'environment' ? envQ : dbQ;
  const reexec = view === 'component' ? reexecComp : view === 'environment' ? reexecEnv : reexecDb;
  const [changes] = useSubscription({ query: InventoryChangedDocument });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!changes.data || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      reexec({ requestPolicy: 'network-only' });
    }, 500);
  }, [changes.data, reexec]);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  const live = (
    <p className="muted" role="status">
      {changes.error ? 'Live updates are off (the subscription failed); reload the page to try again.' : 'Updates live as the clusters change.'}
    </p>
  );
  if (res.fetching && !res.data) return <Loading what="the Kubernetes state" />;
  if (res.error && !res.data) return <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />;

  if (view === 'component') {
    const d = comp.data;
    if (!d) return null;
    const wl = d.entity && 'workloads' in d.entity ? d.entity.workloads : [];
    const envs = d.environments.nodes;
    const dbs = d.databases.nodes;
    return (
      <>
        {live}
        <section aria-labelledby="wl-h">
          <h2 id="wl-h">Workloads</h2>
          <Workloads list={wl} />
        </section>
        <section aria-labelledby="envs-h">
          <h2 id="envs-h">Environments</h2>
          {envs.length === 0 ? (
            <p className="muted">No environment lists this component. Run “Create an environment” from the Actions tab to make one.</p>
          ) : (
            <EnvironmentTable list={envs} />
          )}
          <Partial shown={envs.length} total={d.environments.totalCount} what="environments" />
        </section>
        <section aria-labelledby="dbs-h">
          <h2 id="dbs-h">Databases</h2>
          {dbs.length === 0 ? (
            <p className="muted">No database names this component as a dependent or is in an environment that lists it.</p>
          ) : (
            <DatabaseTable list={dbs} />
          )}
          <Partial shown={dbs.length} total={d.databases.totalCount} what="databases" />
        </section>
      </>
    );
  }

  const beyond = (what: string, shown: number, total: number) =>
    total > shown ? (
      <p>
        Pont sees {total} {what} and this page looks among the first {shown} only: the Kubernetes page lists them all.
      </p>
    ) : null;
  if (view === 'environment') {
    const d = envQ.data;
    if (!d) return null;
    const env = byEntityRef(entityRef, d.environments.nodes);
    if (!env) {
      return (
        <Empty title="Pont does not see this environment now">
          <p>Its namespace is gone, or its cluster is not watched any more. The Kubernetes page lists what Pont sees.</p>
          {beyond('environments', d.environments.nodes.length, d.environments.totalCount)}
        </Empty>
      );
    }
    return (
      <>
        {live}
        <EnvironmentDetail env={env} route={route} dbs={d.databases.nodes} />
      </>
    );
  }
  const d = dbQ.data;
  if (!d) return null;
  const dbs = d.databases.nodes;
  const db = byEntityRef(entityRef, dbs);
  if (!db) {
    return (
      <Empty title="No live Kubernetes state">
        <p>Pont does not see this entity on any cluster it watches.</p>
        {beyond('databases', dbs.length, d.databases.totalCount)}
      </Empty>
    );
  }
  return (
    <>
      {live}
      <section aria-labelledby="db-h">
        <h2 id="db-h">Database</h2>
        <DatabaseTable list={[db]} />
        {db.storage && <p>Storage: {db.storage}</p>}
        <p className="muted">Last change seen {ago(db.updatedAt)}.</p>
      </section>
    </>
  );
}
