// The catalog, one kind at a time: a table paged on the server (keyset
// cursors, so page 1,000 costs what page 1 does), filtered by name and
// sorted by a column.

import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { RefLink, Tags } from '../components/EntityBits';
import { Empty, ErrorState, Loading } from '../components/States';
import { CatalogPageDocument, KindCountsDocument, type EntityOrderField } from '../gql/graphql';
import { PAGE_SIZE, ariaSort, pageVars, rangeText, toggleSort, whereFor, type Page, type Sort } from '../lib/catalogQuery';
import { entityPath } from '../lib/entityRef';
import { ago, kindLabel, kindPlural } from '../lib/format';
import { Link } from '../lib/nav';
import { hrefOf } from '../lib/routes';
import { useDebounced } from '../lib/useDebounced';
import { catalogKinds, kindCount } from './HomePage';

function SortHeader({ label, field, sort, setSort }: { label: string; field: EntityOrderField; sort: Sort; setSort: (s: Sort) => void }) {
  const state = ariaSort(sort, field);
  return (
    <th scope="col" aria-sort={state}>
      <button type="button" className="sort" onClick={() => setSort(toggleSort(sort, field))}>
        {label}
        <span aria-hidden="true" className="sort-mark">
          {state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕'}
        </span>
      </button>
    </th>
  );
}

export function CatalogPage({ kind }: { kind: string }) {
  const [filter, setFilter] = useState('');
  const debounced = useDebounced(filter, 200);
  const [sort, setSort] = useState<Sort>({ field: 'NAME', direction: 'ASC' });
  const [page, setPage] = useState<Page>({});
  const [offset, setOffset] = useState(0);
  useEffect(() => {
    setPage({});
    setOffset(0);
  }, [kind, debounced, sort.field, sort.direction]);

  const [counts] = useQuery({ query: KindCountsDocument });
  const [res, reexec] = useQuery({
    query: CatalogPageDocument,
    variables: { ...pageVars(page), where: whereFor(kind, debounced), orderBy: sort },
  });
  const conn = res.data?.entities;
  const rows = (conn?.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  // Going back (last/before), the connection may not say there is a next
  // page; there is: the one we came from.
  const showLifecycle = kind === 'component' || kind === 'api';
  const showType = kind !== 'user' && kind !== 'template';

  return (
    <>
      <h1>Catalog: {kindPlural(kind)}</h1>
      <nav aria-label="Kinds" className="tabs">
        <ul>
          {catalogKinds.map((k) => (
            <li key={k}>
              <Link href={hrefOf({ page: 'catalog', kind: k })} aria-current={k === kind ? 'page' : undefined}>
                {kindPlural(k)}
                {kindCount(counts.data, k) !== undefined && <span className="count">{kindCount(counts.data, k)?.toLocaleString('en')}</span>}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="toolbar">
        <label htmlFor="filter">Filter by name</label>
        <input id="filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} autoComplete="off" />
        <span className="muted" role="status" aria-live="polite">
          {conn ? rangeText(offset, rows.length, conn.totalCount) : ''}
        </span>
      </div>
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {res.fetching && !conn && <Loading what={kindPlural(kind).toLowerCase()} />}
      {conn && rows.length === 0 && (
        <Empty title={debounced ? `No ${kindLabel(kind).toLowerCase()} matches “${debounced}”` : `No ${kindPlural(kind).toLowerCase()} yet`}>
          <p>
            {debounced
              ? 'The filter matches names and refs anywhere in them. Clear it, or search all kinds at once from the header.'
              : `Entities of kind ${kindLabel(kind)} appear here once a registered location provides them.`}
          </p>
        </Empty>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className={res.fetching ? 'data stale' : 'data'}>
            <caption className="visually-hidden">
              {kindPlural(kind)}, sorted by {sort.field.toLowerCase().replace('_', ' ')}
            </caption>
            <thead>
              <tr>
                <SortHeader label="Name" field="NAME" sort={sort} setSort={setSort} />
                <SortHeader label="Namespace" field="NAMESPACE" sort={sort} setSort={setSort} />
                {kind !== 'group' && kind !== 'user' && <th scope="col">Owner</th>}
                {showType && <th scope="col">Type</th>}
                {showLifecycle && <th scope="col">Lifecycle</th>}
                <th scope="col">Description</th>
                <th scope="col">Tags</th>
                <SortHeader label="Updated" field="UPDATED_AT" sort={sort} setSort={setSort} />
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <th scope="row">
                    <Link href={entityPath(e.ref)}>{e.title || e.name}</Link>
                    {e.title && <span className="sub">{e.name}</span>}
                    {e.processingErrors.length > 0 && (
                      <span className="badge warn" title={e.processingErrors[0]?.message}>
                        {e.processingErrors.length} error{e.processingErrors.length > 1 ? 's' : ''}
                      </span>
                    )}
                  </th>
                  <td>{e.namespace}</td>
                  {kind !== 'group' && kind !== 'user' && <td>{e.ownerRef ? <RefLink refText={e.ownerRef} contextKind="group" /> : <span className="muted">none</span>}</td>}
                  {showType && <td>{'type' in e ? e.type : null}</td>}
                  {showLifecycle && <td>{'lifecycle' in e ? e.lifecycle : null}</td>}
                  <td className="desc">{e.description}</td>
                  <td>
                    <Tags tags={e.tags} />
                  </td>
                  <td>
                    <time dateTime={e.updatedAt} title={e.updatedAt}>
                      {ago(e.updatedAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {conn && (conn.pageInfo.hasPreviousPage || conn.pageInfo.hasNextPage || offset > 0) && (
        <nav aria-label="Pages" className="pager">
          <button
            type="button"
            className="button"
            disabled={offset === 0 || !conn.pageInfo.startCursor}
            onClick={() => {
              setPage({ before: conn.pageInfo.startCursor ?? undefined });
              setOffset(Math.max(0, offset - PAGE_SIZE));
            }}
          >
            Previous
          </button>
          <button
            type="button"
            className="button"
            disabled={!(conn.pageInfo.hasNextPage || page.before) || !conn.pageInfo.endCursor}
            onClick={() => {
              setPage({ after: conn.pageInfo.endCursor ?? undefined });
              setOffset(offset + rows.length);
            }}
          >
            Next
          </button>
        </nav>
      )}
    </>
  );
}
