// An entity: overview, relations, the relation graph (loaded on demand:
// @xyflow/react is a chunk of its own), the API definition (rendered by a
// lazy chunk), the actions offered on it, its live Kubernetes state, and
// the problems met reading its descriptor.

import { Suspense, lazy, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { EntityLink, KindBadge, Tags } from '../components/EntityBits';
import { Empty, ErrorState, Loading } from '../components/States';
import { EntityActionsDocument, EntityPageDocument, type EntityPageQuery, type EntityRefNameFragment } from '../gql/graphql';
import { formatRef } from '../lib/entityRef';
import { ago, kindLabel, safeHref } from '../lib/format';
import { Link } from '../lib/nav';
import { hrefOf, type Route } from '../lib/routes';

import { EntityActions } from './EntityActions';

const EntityGraphView = lazy(() => import('./EntityGraphView'));
const ApiDefinition = lazy(() => import('./ApiDefinition'));
const EntityKubernetes = lazy(() => import('./EntityKubernetes'));

type Entity = NonNullable<EntityPageQuery['entity']>;
type EntityRoute = Extract<Route, { page: 'entity' }>;

function field<K extends string>(e: Entity, k: K): unknown {
  return (e as Record<string, unknown>)[k];
}
function refs(e: Entity, k: string): EntityRefNameFragment[] {
  const v = field(e, k);
  return Array.isArray(v) ? (v as EntityRefNameFragment[]) : [];
}
function one(e: Entity, k: string): EntityRefNameFragment | null {
  const v = field(e, k);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as EntityRefNameFragment) : null;
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

function KeyValues({ title, values }: { title: string; values: unknown }) {
  const entries = values && typeof values === 'object' ? Object.entries(values as Record<string, unknown>) : [];
  if (entries.length === 0) return null;
  return (
    <section>
      <h2>{title}</h2>
      <table className="kv">
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{typeof v === 'string' ? v : JSON.stringify(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const typedRelations: [string, string][] = [
  ['system', 'System'], ['domain', 'Domain'], ['subcomponentOf', 'Part of'], ['subdomainOf', 'Part of'], ['parent', 'Parent group'],
];
const typedLists: [string, string][] = [
  ['providesApis', 'Provides APIs'], ['consumesApis', 'Consumes APIs'], ['providers', 'Provided by'], ['consumers', 'Consumed by'],
  ['dependsOn', 'Depends on'], ['dependencyOf', 'Dependency of'], ['components', 'Components'], ['apis', 'APIs'],
  ['resources', 'Resources'], ['systems', 'Systems'], ['children', 'Child groups'], ['members', 'Members'], ['memberOf', 'Member of'],
];

function Overview({ e }: { e: Entity }) {
  const type = field(e, 'type') as string | null | undefined;
  const lifecycle = field(e, 'lifecycle') as string | null | undefined;
  const targets = field(e, 'targets') as string[] | undefined;
  return (
    <div className="overview">
      <section>
        <h2 className="visually-hidden">About</h2>
        {e.description ? <p className="lead">{e.description}</p> : <p className="muted">No description. Add metadata.description to its descriptor.</p>}
        <dl className="facts">
          <Row label="Kind">{kindLabel(e.kind)}</Row>
          {type && <Row label="Type">{type}</Row>}
          {lifecycle && <Row label="Lifecycle">{lifecycle}</Row>}
          {e.kind.toLowerCase() !== 'user' && e.kind.toLowerCase() !== 'group' && (
            <Row label="Owner">
              <EntityLink entity={e.owner} refText={e.ownerRef} contextKind="group" />
            </Row>
          )}
          {typedRelations.map(([k, label]) => {
            const r = one(e, k);
            return r ? (
              <Row key={k} label={label}>
                <EntityLink entity={r} />
              </Row>
            ) : null;
          })}
          <Row label="Namespace">{e.namespace}</Row>
          <Row label="Ref">
            <code>{e.ref}</code>
          </Row>
          {e.source && (
            <Row label="Source">
              <code className="wrap">{e.source}</code>
            </Row>
          )}
          <Row label="Updated">
            <time dateTime={e.updatedAt} title={e.updatedAt}>
              {ago(e.updatedAt)}
            </time>
          </Row>
        </dl>
        <Tags tags={e.tags} />
        {e.orphan && (
          <p className="notice warn">
            Orphan: the location that provided this entity no longer does. It stays until someone deletes it.
          </p>
        )}
      </section>
      {e.links.length > 0 && (
        <section>
          <h2>Links</h2>
          <ul className="links">
            {e.links.map((l) => {
              const href = safeHref(l.url);
              return (
                <li key={l.url + (l.title ?? '')}>
                  {href ? (
                    <a href={href} rel="noopener noreferrer" target="_blank">
                      {l.title || l.url}
                    </a>
                  ) : (
                    <span title="not an http(s) link">{l.title || l.url}</span>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      )}
      {targets && targets.length > 0 && (
        <section>
          <h2>Targets</h2>
          <ul>
            {targets.map((t) => (
              <li key={t}>
                <code>{t}</code>
              </li>
            ))}
          </ul>
        </section>
      )}
      {typedLists.map(([k, label]) => {
        const list = refs(e, k);
        return list.length > 0 ? (
          <section key={k}>
            <h2>{label}</h2>
            <ul className="ref-list">
              {list.map((r) => (
                <li key={r.ref}>
                  <EntityLink entity={r} /> <KindBadge kind={r.kind} />
                </li>
              ))}
            </ul>
          </section>
        ) : null;
      })}
      <KeyValues title="Annotations" values={e.annotations} />
      <KeyValues title="Labels" values={e.labels} />
    </div>
  );
}

function Relations({ e }: { e: Entity }) {
  if (e.relations.length === 0) return <Empty title="No relations">Relations come from spec fields such as owner, system, dependsOn and providesApis.</Empty>;
  const byType = new Map<string, Entity['relations']>();
  for (const r of e.relations) byType.set(r.type, [...(byType.get(r.type) ?? []), r]);
  return (
    <table className="data">
      <caption className="visually-hidden">Relations of {e.ref}</caption>
      <thead>
        <tr>
          <th scope="col">Relation</th>
          <th scope="col">Entity</th>
          <th scope="col">Kind</th>
        </tr>
      </thead>
      <tbody>
        {[...byType.entries()].sort().flatMap(([type, rs]) =>
          rs.map((r, i) => (
            <tr key={type + r.targetRef}>
              {i === 0 ? <th scope="rowgroup" rowSpan={rs.length}>{type}</th> : null}
              <td>
                <EntityLink entity={r.target} refText={r.targetRef} />
              </td>
              <td>{r.target ? <KindBadge kind={r.target.kind} /> : <span className="muted">not in the catalog</span>}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

function Problems({ e }: { e: Entity }) {
  if (e.processingErrors.length === 0) return <Empty title="No problems">Pont read this entity's descriptor without errors at its last refresh.</Empty>;
  return (
    <>
      <p>Pont met these problems reading the descriptor at its last refresh. Fix them in the file, and they go at the next refresh.</p>
      <ul className="problems">
        {e.processingErrors.map((p, i) => (
          <li key={i} className="notice error">
            <strong>{p.field ? <code>{p.field}</code> : 'descriptor'}</strong>: {p.message}
            {p.file && (
              <span className="sub">
                {p.file}
                {p.line ? `:${p.line}` : ''}
                {p.document != null && p.document >= 0 ? ` (document ${p.document + 1})` : ''}
              </span>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

export function EntityPage({ route }: { route: EntityRoute }) {
  const ref = formatRef(route);
  const [res, reexec] = useQuery({ query: EntityPageDocument, variables: { ref } });
  const e = res.data?.entity;
  const [acts, reexecActs] = useQuery({ query: EntityActionsDocument, variables: { target: ref }, pause: !e });
  const definition = e ? (field(e, 'definition') as string | null | undefined) : null;
  const type = e ? (field(e, 'type') as string | null | undefined) : null;
  const kind = e?.kind.toLowerCase();
  const kube = kind === 'component' || (kind === 'resource' && (type === 'environment' || type === 'database'));
  const nActions = acts.data?.actions.length;
  const tabs = [
    { id: 'overview', label: 'Overview' },
    { id: 'relations', label: `Relations${e ? ` (${e.relations.length})` : ''}` },
    { id: 'graph', label: 'Graph' },
    ...(definition ? [{ id: 'definition', label: 'Definition' }] : []),
    ...(kube ? [{ id: 'kubernetes', label: 'Kubernetes' }] : []),
    { id: 'actions', label: `Actions${nActions ? ` (${nActions})` : ''}` },
    { id: 'problems', label: `Problems${e && e.processingErrors.length > 0 ? ` (${e.processingErrors.length})` : ''}` },
  ];
  const tab = tabs.some((t) => t.id === route.tab) ? route.tab : 'overview';

  if (res.fetching && !res.data) return <Loading what={ref} />;
  if (res.error && !e) {
    return (
      <>
        <h1>{route.name}</h1>
        <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />
      </>
    );
  }
  if (!e) {
    return (
      <>
        <h1>{route.name}</h1>
        <Empty title={`No ${kindLabel(route.kind)} ${route.namespace}/${route.name}`}>
          <p>
            It is not in the catalog, or you may not see it. <Link href={hrefOf({ page: 'search', query: route.name, kinds: [] })}>Search for “{route.name}”</Link>.
          </p>
        </Empty>
      </>
    );
  }
  return (
    <article className="entity">
      <header className="entity-head">
        <p className="crumbs">
          <Link href={hrefOf({ page: 'catalog', kind: e.kind.toLowerCase() })}>{kindLabel(e.kind)}s</Link> / {e.namespace}
        </p>
        <h1>
          {e.title || e.name} <KindBadge kind={e.kind} />
        </h1>
      </header>
      <nav aria-label="Entity sections" className="tabs">
        <ul>
          {tabs.map((t) => (
            <li key={t.id}>
              <Link href={hrefOf({ ...route, tab: t.id, action: undefined })} aria-current={t.id === tab ? 'page' : undefined}>
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {tab === 'overview' && <Overview e={e} />}
      {tab === 'relations' && <Relations e={e} />}
      {tab === 'graph' && (
        <Suspense fallback={<Loading what="the graph" />}>
          <EntityGraphView root={e.ref} />
        </Suspense>
      )}
      {tab === 'definition' && definition && (
        <Suspense fallback={<Loading what="the definition" />}>
          <ApiDefinition text={definition} type={type} />
        </Suspense>
      )}
      {tab === 'kubernetes' && kube && (
        <Suspense fallback={<Loading what="the Kubernetes state" />}>
          <EntityKubernetes route={route} entityRef={e.ref} kind={e.kind} type={type} />
        </Suspense>
      )}
      {tab === 'actions' && (
        <EntityActions
          route={route}
          target={e.ref}
          actions={acts.data?.actions}
          error={acts.error}
          fetching={acts.fetching}
          retry={() => reexecActs({ requestPolicy: 'network-only' })}
        />
      )}
      {tab === 'problems' && <Problems e={e} />}
    </article>
  );
}
