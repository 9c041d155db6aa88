// Search: one box, results as you type (debounced), kind facets that
// filter on the server, and the keyboard: Down from the box into the
// results, Up/Down/Home/End among them, Enter to open, Escape back.

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useQuery } from 'urql';
import { KindBadge, Tags } from '../components/EntityBits';
import { Empty, ErrorState } from '../components/States';
import { SearchDocument, type EntitySummaryFragment, type SearchQuery } from '../gql/graphql';
import { entityPath, shortRef } from '../lib/entityRef';
import { facetLabel, kindLabel } from '../lib/format';
import { nextIndex } from '../lib/listNav';
import { Link, navigate } from '../lib/nav';
import { hrefOf } from '../lib/routes';
import { useDebounced } from '../lib/useDebounced';

const FACETS = ['kind', 'spec.type', 'spec.owner', 'spec.lifecycle', 'metadata.tags'];
const PAGE = 20;

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


export function SearchPage({ query, kinds }: { query: string; kinds: string[] }) {
  const [text, setText] = useState(query);
  const debounced = useDebounced(text.trim(), 150);
  const [cursors, setCursors] = useState<string[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLOListElement>(null);

  // The address follows the box (replacing, so Back leaves the page).
  useEffect(() => {
    if (debounced !== query) navigate(hrefOf({ page: 'search', query: debounced, kinds }), { replace: true });
  }, [debounced]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => setCursors([]), [query, kinds.join(',')]);
  useEffect(() => {
    if (document.activeElement === document.body) input.current?.focus();
  }, []);

  const kindVars = kinds.length > 0 ? kinds : null;
  const [res, reexec] = useQuery({
    query: SearchDocument,
    variables: { query, kinds: kindVars, first: PAGE, facets: FACETS },
    pause: query === '',
  });
  const data = res.data?.search;

  const toggleKind = (k: string) => {
    const next = kinds.includes(k) ? kinds.filter((x) => x !== k) : [...kinds, k];
    navigate(hrefOf({ page: 'search', query, kinds: next }), { replace: true });
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

  const kindFacet = data?.facets.find((f) => f.field === 'kind');
  const kindValues = new Map((kindFacet?.values ?? []).map((v) => [v.value.toLowerCase(), v.count]));
  for (const k of kinds) if (!kindValues.has(k)) kindValues.set(k, 0);

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
              ? `${data.totalCount >= 10000 ? '10,000+' : data.totalCount.toLocaleString('en')} result${data.totalCount === 1 ? '' : 's'}. Press Down to move through them.`
              : ''}
      </p>
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {query !== '' && data && (
        <div className="search-layout">
          <aside className="facets" aria-label="Refine">
            <fieldset>
              <legend>Kind</legend>
              {[...kindValues.entries()]
                .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
                .map(([k, n]) => (
                  <label key={k} className="check">
                    <input type="checkbox" checked={kinds.includes(k)} onChange={() => toggleKind(k)} />
                    {kindLabel(k)} <span className="count">{n}</span>
                  </label>
                ))}
            </fieldset>
            {data.facets
              .filter((f) => f.field !== 'kind' && f.values.length > 0)
              .map((f) => (
                <section key={f.field} className="facet">
                  <h2>{facetLabel(f.field)}</h2>
                  <ul>
                    {f.values.slice(0, 8).map((v) => (
                      <li key={v.value}>
                        {f.field === 'spec.owner' ? (
                          <Link href={entityPath(v.value, 'group')}>{shortRef(v.value, 'group')}</Link>
                        ) : (
                          v.value
                        )}{' '}
                        <span className="count">{v.count}</span>
                      </li>
                    ))}
                  </ul>
                </section>
              ))}
          </aside>
          <div className="results">
            {data.totalCount === 0 ? (
              <Empty title={`Nothing matches “${query}”`}>
                <p>
                  Every word must match the start of a word in a name, title, description or tag. Try fewer or shorter words
                  {kinds.length > 0 ? ', or clear the kind filter' : ''}, or browse the <Link href="/catalog">catalog</Link>.
                </p>
              </Empty>
            ) : (
              <ol className="hits" ref={list} onKeyDown={onListKey} aria-label="Results">
                {data.nodes.map((e) => (
                  <Hit key={e.id} e={e} id={`hit-${e.id}`} />
                ))}
                {cursors.map((c) => (
                  <MoreHits key={c} query={query} kinds={kindVars} after={c} />
                ))}
              </ol>
            )}
            <MoreButton first={data} cursors={cursors} setCursors={setCursors} query={query} kinds={kindVars} />
          </div>
        </div>
      )}
    </>
  );
}

// Further pages: each a query of its own, so urql caches them apart.
function MoreHits({ query, kinds, after }: { query: string; kinds: string[] | null; after: string }) {
  const [res] = useQuery({ query: SearchDocument, variables: { query, kinds, first: PAGE, after, facets: [] } });
  return <>{res.data?.search.nodes.map((e) => <Hit key={e.id} e={e} id={`hit-${e.id}`} />)}</>;
}

function MoreButton({
  first,
  cursors,
  setCursors,
  query,
  kinds,
}: {
  first: SearchQuery['search'];
  cursors: string[];
  setCursors: (c: string[]) => void;
  query: string;
  kinds: string[] | null;
}) {
  const last = cursors[cursors.length - 1];
  const [res] = useQuery({ query: SearchDocument, variables: { query, kinds, first: PAGE, after: last, facets: [] }, pause: !last });
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
