import { useQuery } from 'urql';
import { Empty, ErrorState, Loading } from '../components/States';
import { EntityLink, KindBadge } from '../components/EntityBits';
import { KindCountsDocument, OwnedDocument, ViewerDocument, type ViewerQuery } from '../gql/graphql';
import { kindPlural } from '../lib/format';
import { Link } from '../lib/nav';
import { groupOwned, ownerKeys } from '../lib/owned';
import { hrefOf } from '../lib/routes';

export const catalogKinds = ['component', 'api', 'system', 'domain', 'resource', 'group', 'user', 'template', 'location'] as const;
const aliasOf: Record<string, string> = {
  component: 'components', api: 'apis', system: 'systems', domain: 'domains', resource: 'resources',
  group: 'groups', user: 'users', template: 'templates', location: 'locations',
};

/** kindCount reads one kind's total from the KindCounts answer. */
export function kindCount(data: unknown, kind: string): number | undefined {
  const v = (data as Record<string, { totalCount: number } | undefined> | undefined)?.[aliasOf[kind] ?? ''];
  return v?.totalCount;
}

type Summary = { ref: string; kind: string; name: string; title?: string | null; description?: string | null };

function WhatIOwn({ viewer }: { viewer: ViewerQuery['viewer'] }) {
  const owners = ownerKeys(viewer);
  const [res, reexec] = useQuery({ query: OwnedDocument, variables: { owners }, pause: owners.length === 0 });
  const lists = (res.data?.entities.edges ?? []).flatMap((e) => {
    const n = e?.node;
    return n && 'ownedEntities' in n ? [n.ownedEntities as Summary[]] : [];
  });
  const groups = groupOwned(lists);
  return (
    <section aria-labelledby="owned-h">
      <h2 id="owned-h">What I own</h2>
      {owners.length === 0 ? (
        <Empty title="Pont knows no group of yours">
          <p>
            {viewer.kind === 'local'
              ? 'Sign-in is off, so Pont does not know who you are. With sign-in on, what your groups own shows here.'
              : 'Your groups come from your sign-in’s groups claim and the catalog’s memberOf. Ask an admin to add you to your team’s Group entity.'}
          </p>
        </Empty>
      ) : res.fetching && !res.data ? (
        <Loading what="what you own" />
      ) : res.error ? (
        <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />
      ) : groups.length === 0 ? (
        <Empty title="Your groups own nothing in the catalog yet">
          <p>
            An entity is your team’s when its descriptor says <code>spec.owner: &lt;your group&gt;</code>.
          </p>
        </Empty>
      ) : (
        groups.map(([kind, list]) => (
          <section key={kind} aria-label={kindPlural(kind)} className="owned">
            <h3>
              {kindPlural(kind)} <span className="count">{list.length}</span>
            </h3>
            <ul className="ref-list">
              {list.map((e) => (
                <li key={e.ref}>
                  <EntityLink entity={e} /> <KindBadge kind={e.kind} />
                  {e.description && <span className="sub">{e.description}</span>}
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </section>
  );
}

export function HomePage() {
  const [counts, reexec] = useQuery({ query: KindCountsDocument });
  const [viewer] = useQuery({ query: ViewerDocument });
  const total = catalogKinds.reduce((n, k) => n + (kindCount(counts.data, k) ?? 0), 0);
  return (
    <>
      <h1>Pont</h1>
      <p className="lead">Find who owns what, how it runs, and ask for what you need.</p>
      {viewer.data && viewer.data.viewer.groups.length > 0 && (
        <p>
          Your groups:{' '}
          {viewer.data.viewer.groups.map((g, i) => (
            <span key={g}>
              {i > 0 && ', '}
              <Link href={hrefOf({ page: 'search', query: g.replace(/^group:(default\/)?/, ''), kinds: ['group'] })}>{g}</Link>
            </span>
          ))}
        </p>
      )}
      {viewer.data && <WhatIOwn viewer={viewer.data.viewer} />}
      <h2>The catalog</h2>
      {counts.fetching && !counts.data && <Loading what="the catalog" />}
      {counts.error && <ErrorState error={counts.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {counts.data && total === 0 && (
        <Empty title="The catalog is empty">
          <p>
            Register a location holding <code>catalog-info.yaml</code> descriptors (<code>catalog.locations</code> in the
            configuration, or the <code>registerLocation</code> mutation), and its entities appear here.
          </p>
        </Empty>
      )}
      {counts.data && total > 0 && (
        <ul className="cards">
          {catalogKinds
            .filter((k) => (kindCount(counts.data, k) ?? 0) > 0)
            .map((k) => (
              <li key={k}>
                <Link className="card" href={hrefOf({ page: 'catalog', kind: k })}>
                  <span className="card-count">{kindCount(counts.data, k)?.toLocaleString('en')}</span>
                  <span className="card-label">{kindPlural(k)}</span>
                </Link>
              </li>
            ))}
        </ul>
      )}
    </>
  );
}
