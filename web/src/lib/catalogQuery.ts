// The catalog table's state as GraphQL variables: the kind and a name
// filter become the connection's where, sorting its orderBy, paging its
// keyset cursors (first/after forwards, last/before backwards).

import type { EntityOrderField, EntityWhereInput, OrderDirection } from '../gql/graphql';

export const PAGE_SIZE = 50;

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
