// Search: one box, results as you type (debounced), facets (kind, type,
// owner, lifecycle, tags) whose checkboxes filter on the server and are
// kept in the address (each change a history entry), and the keyboard: Down from the box into the
// results, Up/Down/Home/End among them, Enter to open, Escape back.

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useQuery } from 'urql';
import { KindBadge, Tags } from '../components/EntityBits';
import { Empty, ErrorState } from '../components/States';
import { SearchDocument, SearchFacetDocument, type EntitySummaryFragment, type SearchQuery } from '../gql/graphql';
import { entityPath, shortRef } from '../lib/entityRef';
import { facetLabel, kindLabel } from '../lib/format';
import { nextIndex } from '../lib/listNav';
import { Link, navigate } from '../lib/nav';
import { hrefOf } from '../lib/routes';
import {
  facetOptions,
  filterCount,
  filterVariables,
  filtersKey,
  toggled,
  withFilter,
  withoutFacet,
  type SearchFilterInput,
  type SearchFilters,
} from '../lib/searchFilters';
import { useDebounced } from '../lib/useDebounced';

const FACETS = ['kind', 'spec.type', 'spec.owner', 'spec.lifecycle', 'metadata.tags'];
const PAGE = 20;
/** Values shown per facet before "Show … more". */
const FACET_LIMIT = 8;

function Hit({ e, id }: { e: EntitySummaryFragment; id: string }) {
  const type = 'type' in e ? e.type : null;
  const lifecycle = 'lifecycle' in e ? e.lifecycle : null;
  return (
    <li className="hit">
      <Link id={id} href={entityPath(e.ref)} className="hit-link" data-hit="">
        <span className="hit-title">{e.title || e.name}</span> <KindBadge kind={e.kind} />
        <span className="hit-ref">{e.ref}</span>
      </Link>
      {e.description && <p className="hit-desc">{e.description}</p>}
      <p className="hit-meta">
        {type && <span>type {type}</span>}
        {lifecycle && <span>{lifecycle}</span>}
        {e.ownerRef && <span>owner {shortRef(e.ownerRef, 'group')}</span>}
      </p>
      <Tags tags={e.tags} />
    </li>
  );
}


const NO_FILTERS: SearchFilters = {};

/** How a facet's value reads: a kind as a heading, an owner without the implied kind and namespace. */
function valueLabel(field: string, value: string): string {
  if (field === 'kind') return kindLabel(value);
  if (field === 'spec.owner') return shortRef(value, 'group');
  return value;
}

type Counted = readonly { value: string; count: number }[];

/**
 * One facet's checkboxes. Its counts are the main search's, or, once some
 * of its values are checked, its own count over the hits of the other
 * filters (SearchFacet), so that more of its values can be added.
 */
function Facet({
  field,
  query,
  kinds,
  filters,
  counted,
  keep,
  open,
  onToggle,
  onExpand,
}: {
  field: string;
  query: string;
  kinds: string[];
  filters: SearchFilters;
  counted: Counted;
  keep: string[];
  open: boolean;
  onToggle: (field: string, value: string, wasChecked: boolean) => void;
  onExpand: (field: string) => void;
}) {
  const selected = field === 'kind' ? kinds : (filters[field] ?? []);
  const rest = withoutFacet(kinds, filters, field);
  const [own] = useQuery({
    query: SearchFacetDocument,
    variables: { query, kinds: rest.kinds.length > 0 ? rest.kinds : null, filters: filterVariables(rest.filters), facet: field },
    pause: selected.length === 0,
  });
  const ownCounts = own.data?.search.facets.find((f) => f.field === field)?.values;
  const raw = selected.length > 0 && ownCounts ? ownCounts : counted;
  const values = field === 'kind' ? raw.map((v) => ({ value: v.value.toLowerCase(), count: v.count })) : raw;
  const { options, hidden } = facetOptions(values, selected, { limit: open ? undefined : FACET_LIMIT, keep });
  if (options.length === 0) return null;
  return (
    <fieldset className="facet" data-facet={field}>
      <legend>{facetLabel(field)}</legend>
      {options.map((o) => (
        <label key={o.value.toLowerCase()} className="check" title={field === 'spec.owner' ? o.value : undefined}>
          <input type="checkbox" checked={o.checked} value={o.value} onChange={() => onToggle(field, o.value, o.checked)} />
          <span className="check-text">{valueLabel(field, o.value)}</span>{' '}
          <span className="count">
            {o.count}
            <span className="visually-hidden"> {o.count === 1 ? 'result' : 'results'}</span>
          </span>
        </label>
      ))}
      {(hidden > 0 || (open && values.length > FACET_LIMIT)) && (
        <button type="button" className="button subtle facet-more" aria-expanded={open} onClick={() => onExpand(field)}>
          {open ? 'Show fewer' : `Show ${hidden} more`}
        </button>
      )}
    </fieldset>
  );
}

export function SearchPage({ query, kinds, filters = NO_FILTERS }: { query: string; kinds: string[]; filters?: SearchFilters }) {
  const [text, setText] = useState(query);
  const debounced = useDebounced(text.trim(), 150);
  const [cursors, setCursors] = useState<string[]>([]);
  // The value just unchecked stays in its list (so its box keeps the focus) until the next change.
  const [keep, setKeep] = useState<{ field: string; value: string } | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const selectionKey = filtersKey(kinds, filters);

  // The address follows the box (replacing, so Back leaves the page) …
  useEffect(() => {
    if (debounced !== query) navigate(hrefOf({ page: 'search', query: debounced, kinds, filters }), { replace: true });
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps
  // … and the box the address, when Back or Forward changed it.
  useEffect(() => {
    if (query !== debounced) setText(query);
  }, [query]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => setCursors([]), [query, selectionKey]);
  useEffect(() => setKeep(null), [query]);
  useEffect(() => {
    if (document.activeElement === document.body) input.current?.focus();
  }, []);

  const kindVars = kinds.length > 0 ? kinds : null;
  const filterVars = filterVariables(filters);
  const [res, reexec] = useQuery({
    query: SearchDocument,
    variables: { query, kinds: kindVars, filters: filterVars, first: PAGE, facets: FACETS },
    pause: query === '',
  });
  const data = res.data?.search;
  const selectedCount = filterCount(kinds, filters);

  // Each change of the filters is an entry of the history: Back undoes it.
  const toggle = (field: string, value: string, wasChecked: boolean) => {
    setKeep(wasChecked ? { field, value } : null);
    if (field === 'kind') navigate(hrefOf({ page: 'search', query, kinds: toggled(kinds, value.toLowerCase()), filters }));
    else navigate(hrefOf({ page: 'search', query, kinds, filters: withFilter(filters, field, toggled(filters[field] ?? [], value)) }));
  };
  const clearFilters = () => {
    setKeep(null);
    navigate(hrefOf({ page: 'search', query, kinds: [] }));
    input.current?.focus();
  };
  const toggleExpanded = (field: string) => {
    const next = new Set(expanded);
    if (!next.delete(field)) next.add(field);
    setExpanded(next);
  };

  const hits = () => Array.from(list.current?.querySelectorAll<HTMLAnchorElement>('a[data-hit]') ?? []);
  const onBoxKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      hits()[0]?.focus();
    }
  };
  const onListKey = (e: KeyboardEvent<HTMLOListElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      input.current?.focus();
      return;
    }
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', 'PageUp'].includes(e.key)) return;
    const all = hits();
    const cur = all.indexOf(document.activeElement as HTMLAnchorElement);
    if (e.key === 'ArrowUp' && cur === 0) {
      e.preventDefault();
      input.current?.focus();
      return;
    }
    e.preventDefault();
    all[nextIndex(cur, e.key, all.length)]?.focus();
  };

  const counted = new Map((data?.facets ?? []).map((f) => [f.field, f.values]));
  const filtersOn = selectedCount === 0 ? '' : `, ${selectedCount} filter${selectedCount === 1 ? '' : 's'} on`;

  return (
    <>
      <h1>Search</h1>
      <form role="search" className="search-box" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="q">Search names, titles, descriptions and tags</label>
        <input
          id="q"
          ref={input}
          type="search"
          value={text}
          autoComplete="off"
          spellCheck={false}
          placeholder="e.g. payments api"
          aria-describedby="search-status"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onBoxKey}
        />
      </form>
      <p id="search-status" className="muted" role="status" aria-live="polite">
        {query === ''
          ? 'Type a word or the start of one: every word must match.'
          : res.fetching && !data
            ? 'Searching…'
            : data
              ? `${data.totalCount >= 10000 ? '10,000+' : data.totalCount.toLocaleString('en')} result${data.totalCount === 1 ? '' : 's'}${filtersOn}.${data.totalCount > 0 ? ' Press Down to move through them.' : ''}`
              : ''}
      </p>
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {query !== '' && data && (
        <div className="search-layout">
          <aside className="facets" aria-label="Refine">
            {selectedCount > 0 && (
              <p className="facets-clear">
                <button type="button" className="button" onClick={clearFilters}>
                  Clear filters
                </button>
              </p>
            )}
            {FACETS.map((field) => (
              <Facet
                key={field}
                field={field}
                query={query}
                kinds={kinds}
                filters={filters}
                counted={counted.get(field) ?? []}
                keep={keep?.field === field ? [keep.value] : []}
                open={expanded.has(field)}
                onToggle={toggle}
                onExpand={toggleExpanded}
              />
            ))}
          </aside>
          <div className="results" aria-busy={res.fetching}>
            {data.totalCount === 0 ? (
              <Empty title={`Nothing matches “${query}”${selectedCount > 0 ? ' with these filters' : ''}`}>
                <p>
                  Every word must match the start of a word in a name, title, description or tag. Try fewer or shorter words
                  {selectedCount > 0 ? ', or clear the filters' : ''}, or browse the <Link href="/catalog">catalog</Link>.
                </p>
              </Empty>
            ) : (
              <ol className="hits" ref={list} onKeyDown={onListKey} aria-label="Results">
                {data.nodes.map((e) => (
                  <Hit key={e.id} e={e} id={`hit-${e.id}`} />
                ))}
                {cursors.map((c) => (
                  <MoreHits key={c} query={query} kinds={kindVars} filters={filterVars} after={c} />
                ))}
              </ol>
            )}
            <MoreButton first={data} cursors={cursors} setCursors={setCursors} query={query} kinds={kindVars} filters={filterVars} />
          </div>
        </div>
      )}
    </>
  );
}

// Further pages: each a query of its own, so urql caches them apart.
type FilterVars = SearchFilterInput[] | null;

function MoreHits({ query, kinds, filters, after }: { query: string; kinds: string[] | null; filters: FilterVars; after: string }) {
  const [res] = useQuery({ query: SearchDocument, variables: { query, kinds, filters, first: PAGE, after, facets: [] } });
  return <>{res.data?.search.nodes.map((e) => <Hit key={e.id} e={e} id={`hit-${e.id}`} />)}</>;
}

function MoreButton({
  first,
  cursors,
  setCursors,
  query,
  kinds,
  filters,
}: {
  first: SearchQuery['search'];
  cursors: string[];
  setCursors: (c: string[]) => void;
  query: string;
  kinds: string[] | null;
  filters: FilterVars;
}) {
  const last = cursors[cursors.length - 1];
  const [res] = useQuery({ query: SearchDocument, variables: { query, kinds, filters, first: PAGE, after: last, facets: [] }, pause: !last });
  const page = last ? res.data?.search : first;
  if (!page?.hasNextPage || !page.endCursor) return null;
  const cursor = page.endCursor;
  return (
    <p>
      <button type="button" className="button" onClick={() => setCursors([...cursors, cursor])}>
        More results
      </button>
    </p>
  );
}
