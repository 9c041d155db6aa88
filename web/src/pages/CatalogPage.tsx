// The catalog, one kind at a time: a table paged on the server (keyset
// cursors, so page 1,000 costs what page 1 does; 50, 200 or 500 rows a
// page, in the address), filtered by name and sorted by a column. A long
// page is rendered in a window (lib/useRowWindow.ts): the rows in and near
// the viewport, spacer rows for the others, so 500 rows cost what 50 do.

import { memo, useMemo, useRef, useState, type ChangeEvent } from 'react';
import { useQuery } from 'urql';
import { RefLink, Tags } from '../components/EntityBits';
import { Empty, ErrorState, Loading } from '../components/States';
import { CatalogPageDocument, KindCountsDocument, type CatalogPageQuery, type EntityOrderField } from '../gql/graphql';
import { CHUNK, PAGE_SIZE, PAGE_SIZES, ariaSort, mergePage, pageVars, rangeText, restVars, toggleSort, whereFor, type Page, type Sort } from '../lib/catalogQuery';
import { entityPath } from '../lib/entityRef';
import { ago, kindLabel, kindPlural } from '../lib/format';
import { Link, navigate } from '../lib/nav';
import { hrefOf } from '../lib/routes';
import { useDebounced } from '../lib/useDebounced';
import { ROW_ATTR, useRowWindow } from '../lib/useRowWindow';
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

// The window: rows rendered beyond each edge of the viewport (enough for
// a few Tabs before a scroll event catches up), pages of up to 100 rows
// rendered whole (cheap, and a screen reader's browse mode then reads the
// whole page), a row's height until measured (4rem of 15px, styles.css).
const OVERSCAN = 8;
const WHOLE_UP_TO = 100;
const ROW_GUESS = 60;

type Row = NonNullable<NonNullable<NonNullable<CatalogPageQuery['entities']['edges']>[number]>['node']>;

interface Columns {
  owner: boolean;
  type: boolean;
  lifecycle: boolean;
}

const CatalogRow = memo(function CatalogRow({ e, index, rowIndex, cols }: { e: Row; index: number; rowIndex: number; cols: Columns }) {
  return (
    <tr {...{ [ROW_ATTR]: index }} aria-rowindex={rowIndex}>
      <th scope="row">
        <span className="line">
          <Link href={entityPath(e.ref)}>{e.title || e.name}</Link>
          {e.processingErrors.length > 0 && (
            <span className="badge warn" title={e.processingErrors[0]?.message}>
              {e.processingErrors.length} error{e.processingErrors.length > 1 ? 's' : ''}
            </span>
          )}
        </span>
        {e.title && <span className="sub">{e.name}</span>}
      </th>
      <td>{e.namespace}</td>
      {cols.owner && <td>{e.ownerRef ? <RefLink refText={e.ownerRef} contextKind="group" /> : <span className="muted">none</span>}</td>}
      {cols.type && <td>{'type' in e ? e.type : null}</td>}
      {cols.lifecycle && <td>{'lifecycle' in e ? e.lifecycle : null}</td>}
      <td>
        <div className="clamp">{e.description}</div>
      </td>
      <td>
        <Tags tags={e.tags} />
      </td>
      <td>
        <time dateTime={e.updatedAt} title={e.updatedAt}>
          {ago(e.updatedAt)}
        </time>
      </td>
    </tr>
  );
});

function CatalogTable({ kind, rows, offset, total, sort, setSort, stale }: { kind: string; rows: Row[]; offset: number; total: number | null | undefined; sort: Sort; setSort: (s: Sort) => void; stale: boolean }) {
  const table = useRef<HTMLTableElement>(null);
  const body = useRef<HTMLTableSectionElement>(null);
  const { runs, rowHeight, onKeyDown, onFocus, onBlur } = useRowWindow(table, body, rows.length, { overscan: OVERSCAN, wholeUpTo: WHOLE_UP_TO, guess: ROW_GUESS });
  const cols: Columns = useMemo(
    () => ({ owner: kind !== 'group' && kind !== 'user', type: kind !== 'user' && kind !== 'template', lifecycle: kind === 'component' || kind === 'api' }),
    [kind],
  );
  const colCount = 5 + Number(cols.owner) + Number(cols.type) + Number(cols.lifecycle);
  // aria-rowcount counts the header row and every row of the kind, on
  // every page; a row's aria-rowindex is its place among them.
  const rowCount = Math.max(total ?? 0, offset + rows.length) + 1;
  return (
    <div className="table-wrap">
      <table ref={table} className={stale ? 'data catalog stale' : 'data catalog'} aria-rowcount={rowCount} onKeyDown={onKeyDown}>
        <caption className="visually-hidden">
          {kindPlural(kind)}, sorted by {sort.field.toLowerCase().replace('_', ' ')}
        </caption>
        <colgroup>
          <col className="c-name" />
          <col className="c-namespace" />
          {cols.owner && <col className="c-owner" />}
          {cols.type && <col className="c-type" />}
          {cols.lifecycle && <col className="c-lifecycle" />}
          <col className="c-desc" />
          <col className="c-tags" />
          <col className="c-updated" />
        </colgroup>
        <thead>
          <tr aria-rowindex={1}>
            <SortHeader label="Name" field="NAME" sort={sort} setSort={setSort} />
            <SortHeader label="Namespace" field="NAMESPACE" sort={sort} setSort={setSort} />
            {cols.owner && <th scope="col">Owner</th>}
            {cols.type && <th scope="col">Type</th>}
            {cols.lifecycle && <th scope="col">Lifecycle</th>}
            <th scope="col">Description</th>
            <th scope="col">Tags</th>
            <SortHeader label="Updated" field="UPDATED_AT" sort={sort} setSort={setSort} />
          </tr>
        </thead>
        <tbody ref={body} onFocus={onFocus} onBlur={onBlur}>
          {/* One flat list of keyed rows, so that a row moving from one
              run to another (the focused one, kept) is moved, not made anew. */}
          {runs.flatMap((r) =>
            r.rendered
              ? rows.slice(r.from, r.to).map((e, j) => <CatalogRow key={e.id} e={e} index={r.from + j} rowIndex={offset + r.from + j + 2} cols={cols} />)
              : [
                  <tr key={`gap-${r.from}`} className="gap" aria-hidden="true">
                    <td colSpan={colCount} style={{ height: `${(r.to - r.from) * rowHeight}px` }} />
                  </tr>,
                ],
          )}
        </tbody>
      </table>
    </div>
  );
}

export function CatalogPage({ kind, size = PAGE_SIZE }: { kind: string; size?: number }) {
  const [filter, setFilter] = useState('');
  const debounced = useDebounced(filter, 200);
  const [sort, setSort] = useState<Sort>({ field: 'NAME', direction: 'ASC' });
  // The page (its cursor and where it starts) belongs to one listing: a
  // new kind, filter, sort or page size starts again at the first page.
  const listing = [kind, debounced, sort.field, sort.direction, size].join('\n');
  const [paging, setPaging] = useState<{ listing: string; page: Page; offset: number }>({ listing, page: {}, offset: 0 });
  const page = paging.listing === listing ? paging.page : {};
  const offset = paging.listing === listing ? paging.offset : 0;
  const top = useRef<HTMLDivElement>(null);

  const [counts] = useQuery({ query: KindCountsDocument });
  const where = whereFor(kind, debounced);
  // A page of more than CHUNK rows comes in two requests (lib/catalogQuery.ts).
  const [res, reexec] = useQuery({
    query: CatalogPageDocument,
    variables: { ...pageVars(page, Math.min(size, CHUNK)), where, orderBy: sort },
  });
  const head = res.fetching ? undefined : res.data?.entities;
  const rest = head ? restVars(page, size, head) : null;
  const [res2, reexec2] = useQuery({
    query: CatalogPageDocument,
    variables: { ...(rest ?? { first: 0 }), where, orderBy: sort },
    pause: !rest,
  });
  const restVarsOf = res2.operation?.variables;
  const tail = rest && !res2.fetching && restVarsOf?.after === rest.after && restVarsOf?.before === rest.before ? res2.data?.entities : undefined;
  // The page shown: the last one whose answers are all in (the previous
  // one, dimmed, while the next loads).
  const shown = useRef<ReturnType<typeof mergePage<Row>> | null>(null);
  if (head && (!rest || tail)) shown.current = mergePage(page, head, tail ?? null);
  const conn = shown.current;
  const rows = conn?.nodes ?? [];
  const fetching = res.fetching || (!!rest && !tail);
  const error = res.error ?? (rest ? res2.error : undefined);
  const retry = () => {
    reexec({ requestPolicy: 'network-only' });
    if (rest) reexec2({ requestPolicy: 'network-only' });
  };

  // Another page: show its first rows if the reader had scrolled past the table's top.
  const turn = (p: Page, o: number) => {
    setPaging({ listing, page: p, offset: o });
    const box = top.current;
    if (box && box.getBoundingClientRect().top < 0) box.scrollIntoView({ block: 'start' });
  };
  const setSize = (e: ChangeEvent<HTMLSelectElement>) => navigate(hrefOf({ page: 'catalog', kind, size: Number(e.target.value) }));

  return (
    <>
      <h1>Catalog: {kindPlural(kind)}</h1>
      <nav aria-label="Kinds" className="tabs">
        <ul>
          {catalogKinds.map((k) => (
            <li key={k}>
              <Link href={hrefOf({ page: 'catalog', kind: k, size })} aria-current={k === kind ? 'page' : undefined}>
                {kindPlural(k)}
                {kindCount(counts.data, k) !== undefined && <span className="count">{kindCount(counts.data, k)?.toLocaleString('en')}</span>}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="toolbar" ref={top}>
        <label htmlFor="filter">Filter by name</label>
        <input id="filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} autoComplete="off" />
        <label htmlFor="page-size">Rows per page</label>
        <select id="page-size" value={size} onChange={setSize}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <span className="muted" role="status" aria-live="polite">
          {conn ? rangeText(offset, rows.length, conn.totalCount) : ''}
        </span>
      </div>
      {error && <ErrorState error={error} retry={retry} />}
      {fetching && !conn && !error && <Loading what={kindPlural(kind).toLowerCase()} />}
      {conn && rows.length === 0 && (
        <Empty title={debounced ? `No ${kindLabel(kind).toLowerCase()} matches “${debounced}”` : `No ${kindPlural(kind).toLowerCase()} yet`}>
          <p>
            {debounced
              ? 'The filter matches names and refs anywhere in them. Clear it, or search all kinds at once from the header.'
              : `Entities of kind ${kindLabel(kind)} appear here once a registered location provides them.`}
          </p>
        </Empty>
      )}
      {rows.length > 0 && <CatalogTable kind={kind} rows={rows} offset={offset} total={conn?.totalCount} sort={sort} setSort={setSort} stale={fetching} />}
      {/* Going back (last/before), the connection may not say there is a
          next page; there is: the one we came from. */}
      {conn && (conn.pageInfo.hasPreviousPage || conn.pageInfo.hasNextPage || offset > 0) && (
        <nav aria-label="Pages" className="pager">
          <button
            type="button"
            className="button"
            disabled={offset === 0 || !conn.pageInfo.startCursor}
            onClick={() => turn({ before: conn.pageInfo.startCursor ?? undefined }, Math.max(0, offset - size))}
          >
            Previous
          </button>
          <button
            type="button"
            className="button"
            disabled={!(conn.pageInfo.hasNextPage || page.before) || !conn.pageInfo.endCursor}
            onClick={() => turn({ after: conn.pageInfo.endCursor ?? undefined }, offset + rows.length)}
          >
            Next
          </button>
        </nav>
      )}
    </>
  );
}
