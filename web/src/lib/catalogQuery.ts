// The catalog table's state as GraphQL variables: the kind and a name
// filter become the connection's where, sorting its orderBy, paging its
// keyset cursors (first/after forwards, last/before backwards).

import type { EntityOrderField, EntityWhereInput, OrderDirection } from '../gql/graphql';

export const PAGE_SIZE = 50;

/** PAGE_SIZES are the page sizes a reader may choose (the API's graphql.maxPageSize is 500). */
export const PAGE_SIZES = [50, 200, 500] as const;

/** pageSizeOf reads a page size from the address: one of PAGE_SIZES, else the default. */
export function pageSizeOf(v: string | null | undefined): number {
  const n = Number(v);
  return (PAGE_SIZES as readonly number[]).includes(n) ? n : PAGE_SIZE;
}

export interface Sort {
  field: EntityOrderField;
  direction: OrderDirection;
}

export type Page = { after?: string; before?: string };

export function whereFor(kind: string, filter: string): EntityWhereInput {
  const where: EntityWhereInput = { kind: kind.toLowerCase() };
  const f = filter.trim();
  if (f) where.or = [{ nameContainsFold: f }, { refKeyContainsFold: f }];
  return where;
}

/**
 * CHUNK is the most rows the catalog asks for in one request. The API
 * estimates a query's cost before running it and refuses one over
 * graphql.maxComplexity (20,000 by default): a row of the catalog's query
 * costs 61 (one a field, __typename included, which urql adds to every
 * selection; processing errors, a list, are guessed at 10 each), so 500
 * rows in one request would cost 30,501. A page of more rows comes in two
 * requests, the second from the first's cursor.
 */
export const CHUNK = 250;

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

/** Conn is what the page needs of a connection. */
export interface Conn<N> {
  totalCount: number;
  pageInfo: PageInfo;
  edges?: readonly ({ node?: N | null } | null)[] | null;
}

/**
 * restVars are the paging variables of the request for the rest of a page
 * of size rows, once the first request (pageVars(page, CHUNK)) answered
 * first; null when that was the whole page. Going back (before), the rest
 * is the rows before the first answer's.
 */
export function restVars(page: Page, size: number, first: Conn<unknown>): { first?: number; after?: string; last?: number; before?: string } | null {
  if (size <= CHUNK || (first.edges?.length ?? 0) < CHUNK) return null;
  const { pageInfo: pi } = first;
  if (page.before) return pi.hasPreviousPage && pi.startCursor ? { last: size - CHUNK, before: pi.startCursor } : null;
  return pi.hasNextPage && pi.endCursor ? { first: size - CHUNK, after: pi.endCursor } : null;
}

/** mergePage joins a page's two answers (rest null when there was one) in the table's order. */
export function mergePage<N>(page: Page, first: Conn<N>, rest: Conn<N> | null): { totalCount: number; pageInfo: PageInfo; nodes: N[] } {
  const nodes = (c: Conn<N>) => (c.edges ?? []).flatMap((e) => (e?.node != null ? [e.node] : []));
  if (!rest) return { totalCount: first.totalCount, pageInfo: first.pageInfo, nodes: nodes(first) };
  const [a, b] = page.before ? [rest, first] : [first, rest];
  return {
    totalCount: rest.totalCount,
    pageInfo: { hasPreviousPage: a.pageInfo.hasPreviousPage, startCursor: a.pageInfo.startCursor, hasNextPage: b.pageInfo.hasNextPage, endCursor: b.pageInfo.endCursor },
    nodes: [...nodes(a), ...nodes(b)],
  };
}

export function pageVars(page: Page, size = PAGE_SIZE): { first?: number; after?: string; last?: number; before?: string } {
  if (page.before) return { last: size, before: page.before };
  if (page.after) return { first: size, after: page.after };
  return { first: size };
}

/** toggleSort: the same column flips direction; another starts ascending (dates newest first). */
export function toggleSort(cur: Sort, field: EntityOrderField): Sort {
  if (cur.field === field) return { field, direction: cur.direction === 'ASC' ? 'DESC' : 'ASC' };
  return { field, direction: field === 'UPDATED_AT' || field === 'CREATED_AT' ? 'DESC' : 'ASC' };
}

/** ariaSort is a column header's aria-sort value. */
export function ariaSort(cur: Sort, field: EntityOrderField): 'ascending' | 'descending' | 'none' {
  if (cur.field !== field) return 'none';
  return cur.direction === 'ASC' ? 'ascending' : 'descending';
}

/** rangeText says which rows a page shows: "51–100 of 1,234". */
export function rangeText(offset: number, rows: number, total: number | null | undefined): string {
  if (rows === 0) return total ? `0 of ${total.toLocaleString('en')}` : 'none';
  const to = `${(offset + 1).toLocaleString('en')}–${(offset + rows).toLocaleString('en')}`;
  return total == null ? to : `${to} of ${total.toLocaleString('en')}`;
}
