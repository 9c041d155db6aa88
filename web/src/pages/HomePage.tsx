import { useQuery } from 'urql';
import { Empty, ErrorState, Loading } from '../components/States';
import { KindCountsDocument, ViewerDocument } from '../gql/graphql';
import { kindPlural } from '../lib/format';
import { Link } from '../lib/nav';
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
