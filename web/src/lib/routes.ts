// The UI's routes: a pure mapping between locations and pages, so that
// links are written in one place and tested.

import { PAGE_SIZE, pageSizeOf } from './catalogQuery';
import { entityPath } from './entityRef';
import { appendFilterParams, cleanValues, filtersFromParams, type SearchFilters } from './searchFilters';

export type Route =
  | { page: 'home' }
  | { page: 'search'; query: string; kinds: string[]; filters?: SearchFilters }
  | { page: 'catalog'; kind: string; size?: number }
  | { page: 'entity'; namespace: string; kind: string; name: string; tab: string; action?: string }
  | { page: 'kubernetes' }
  | { page: 'runs' }
  | { page: 'approvals' }
  | { page: 'run'; id: string }
  | { page: 'admin' }
  | { page: 'notFound'; path: string };

function decode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** parseRoute maps a pathname and query string to a page. */
export function parseRoute(pathname: string, search = ''): Route {
  const params = new URLSearchParams(search);
  const raw = pathname.replace(/\/+$/, '').split('/').slice(1);
  const parts = raw.map(decode);
  if (parts.some((p) => p === null)) return { page: 'notFound', path: pathname };
  const seg = parts as string[];
  switch (seg[0]) {
    case undefined:
    case '':
      return { page: 'home' };
    case 'search':
      if (seg.length === 1) {
        const r: Extract<Route, { page: 'search' }> = { page: 'search', query: params.get('q') ?? '', kinds: cleanValues(params.getAll('kind').map((k) => k.toLowerCase())) };
        const filters = filtersFromParams(params);
        if (Object.keys(filters).length > 0) r.filters = filters;
        return r;
      }
      break;
    case 'catalog':
      if (seg.length === 1) {
        const r: Extract<Route, { page: 'catalog' }> = { page: 'catalog', kind: (params.get('kind') ?? 'component').toLowerCase() };
        const size = pageSizeOf(params.get('size'));
        if (size !== PAGE_SIZE) r.size = size;
        return r;
      }
      if (seg.length === 4 && seg[1] && seg[2] && seg[3]) {
        const r: Extract<Route, { page: 'entity' }> = { page: 'entity', namespace: seg[1], kind: seg[2].toLowerCase(), name: seg[3], tab: params.get('tab') ?? 'overview' };
        const action = params.get('action');
        if (action) r.action = action;
        return r;
      }
      break;
    case 'kubernetes':
      if (seg.length === 1) return { page: 'kubernetes' };
      break;
    case 'runs':
      if (seg.length === 1) return { page: 'runs' };
      if (seg.length === 2 && seg[1]) return { page: 'run', id: seg[1] };
      break;
    case 'approvals':
      if (seg.length === 1) return { page: 'approvals' };
      break;
    case 'admin':
      if (seg.length === 1) return { page: 'admin' };
      break;
  }
  return { page: 'notFound', path: pathname };
}

/** hrefOf is the address of a page; parseRoute(hrefOf(r)) gives r back. */
export function hrefOf(r: Route): string {
  switch (r.page) {
    case 'home':
      return '/';
    case 'search': {
      const p = new URLSearchParams();
      if (r.query) p.set('q', r.query);
      for (const k of r.kinds) p.append('kind', k);
      appendFilterParams(p, r.filters);
      const qs = p.toString();
      return qs ? `/search?${qs}` : '/search';
    }
    case 'catalog': {
      const p = new URLSearchParams();
      if (r.kind !== 'component') p.set('kind', r.kind);
      if (r.size && r.size !== PAGE_SIZE) p.set('size', String(r.size));
      const qs = p.toString();
      return qs ? `/catalog?${qs}` : '/catalog';
    }
    case 'entity': {
      const base = entityPath({ kind: r.kind, namespace: r.namespace, name: r.name });
      const p = new URLSearchParams();
      if (r.tab && r.tab !== 'overview') p.set('tab', r.tab);
      if (r.action) p.set('action', r.action);
      const qs = p.toString();
      return qs ? `${base}?${qs}` : base;
    }
    case 'kubernetes':
      return '/kubernetes';
    case 'runs':
      return '/runs';
    case 'approvals':
      return '/approvals';
    case 'run':
      return `/runs/${encodeURIComponent(r.id)}`;
    case 'admin':
      return '/admin';
    case 'notFound':
      return r.path;
  }
}

/** section is the top-level nav item a page belongs to. */
export function section(r: Route): 'catalog' | 'kubernetes' | 'runs' | 'admin' | null {
  switch (r.page) {
    case 'catalog':
    case 'entity':
      return 'catalog';
    case 'kubernetes':
      return 'kubernetes';
    case 'runs':
    case 'run':
    case 'approvals':
      return 'runs';
    case 'admin':
      return 'admin';
    default:
      return null;
  }
}
