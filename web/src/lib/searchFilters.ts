// The search page's filters: the facet values a search is narrowed to,
// as the address keeps them (?type=service&owner=group:default/a&tag=x)
// and as the API takes them (search(filters: [{field, values}])). Kind is
// a facet too, but it is the `kinds` argument and ?kind= in the address.
// Values of one facet OR together, facets AND; values compare without case.
// The API counts facets over the filtered hits, so a facet with values
// checked is counted apart, over the hits of the other filters only
// (withoutFacet): its other values stay there to be added.

/** The facets that filter through `filters`, in the page's order, with their address parameter. */
export const FILTER_FACETS: readonly { field: string; param: string }[] = [
  { field: 'spec.type', param: 'type' },
  { field: 'spec.owner', param: 'owner' },
  { field: 'spec.lifecycle', param: 'lifecycle' },
  { field: 'metadata.tags', param: 'tag' },
];

/** The API's cap on the values of one filter. */
export const MAX_FILTER_VALUES = 50;

/** SearchFilters maps a facet field (spec.type …) to its selected values. */
export type SearchFilters = Record<string, string[]>;

export interface SearchFilterInput {
  field: string;
  values: string[];
}

const key = (v: string) => v.toLowerCase();

/** cleanValues trims, drops empty values and repeats (case aside, the first kept) and keeps at most MAX_FILTER_VALUES. */
export function cleanValues(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of values) {
    const v = raw.trim();
    if (v === '' || seen.has(key(v))) continue;
    seen.add(key(v));
    out.push(v);
    if (out.length === MAX_FILTER_VALUES) break;
  }
  return out;
}

/** filtersFromParams reads the filters of an address; only facets with values are there. */
export function filtersFromParams(params: URLSearchParams): SearchFilters {
  const out: SearchFilters = {};
  for (const { field, param } of FILTER_FACETS) {
    const values = cleanValues(params.getAll(param));
    if (values.length > 0) out[field] = values;
  }
  return out;
}

/** appendFilterParams writes filters to an address, in FILTER_FACETS' order; other fields are left out. */
export function appendFilterParams(p: URLSearchParams, filters: SearchFilters | undefined): void {
  if (!filters) return;
  for (const { field, param } of FILTER_FACETS) {
    for (const v of cleanValues(filters[field] ?? [])) p.append(param, v);
  }
}

/** filterVariables is the API's filters argument: null without any, else in a stable order (so equal filters share a cache entry). */
export function filterVariables(filters: SearchFilters | undefined): SearchFilterInput[] | null {
  if (!filters) return null;
  const out: SearchFilterInput[] = [];
  for (const { field } of FILTER_FACETS) {
    const values = cleanValues(filters[field] ?? []).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    if (values.length > 0) out.push({ field, values });
  }
  return out.length > 0 ? out : null;
}

/** filterCount is how many values are selected, kinds included. */
export function filterCount(kinds: readonly string[], filters: SearchFilters | undefined): number {
  return kinds.length + Object.values(filters ?? {}).reduce((n, v) => n + v.length, 0);
}

/** toggled adds value to the selection, or takes it out when there (case aside). */
export function toggled(selected: readonly string[], value: string): string[] {
  const k = key(value);
  return selected.some((v) => key(v) === k) ? selected.filter((v) => key(v) !== k) : [...selected, value];
}

/** withFilter sets one facet's values, dropping the facet when none are left. */
export function withFilter(filters: SearchFilters | undefined, field: string, values: readonly string[]): SearchFilters {
  const out: SearchFilters = { ...(filters ?? {}) };
  const clean = cleanValues(values);
  if (clean.length > 0) out[field] = clean;
  else delete out[field];
  return out;
}

/** withoutFacet is the selection less one facet's values: the hits over which that facet's values are counted. */
export function withoutFacet(kinds: readonly string[], filters: SearchFilters | undefined, field: string): { kinds: string[]; filters: SearchFilters } {
  if (field === 'kind') return { kinds: [], filters: { ...(filters ?? {}) } };
  const rest: SearchFilters = { ...(filters ?? {}) };
  delete rest[field];
  return { kinds: [...kinds], filters: rest };
}

/** filtersKey identifies a selection, for effects that follow it. */
export function filtersKey(kinds: readonly string[], filters: SearchFilters | undefined): string {
  return JSON.stringify([[...kinds].map(key).sort(), filterVariables(filters)]);
}

export interface FacetOption {
  value: string;
  count: number;
  checked: boolean;
}

/**
 * facetOptions are the checkboxes of one facet: the values the API counted
 * (most hits first), every selected value even without hits left (count 0,
 * so it can be unchecked), and the values of keep (the one just unchecked,
 * so the focus does not lose its box). Past limit, only selected or kept
 * values are shown; hidden says how many others are not.
 */
export function facetOptions(
  counted: readonly { value: string; count: number }[],
  selected: readonly string[],
  opts: { limit?: number; keep?: readonly string[] } = {},
): { options: FacetOption[]; hidden: number } {
  const byKey = new Map<string, FacetOption>();
  for (const c of counted) {
    const o = byKey.get(key(c.value));
    if (o) o.count += c.count;
    else byKey.set(key(c.value), { value: c.value, count: c.count, checked: false });
  }
  for (const v of [...selected, ...(opts.keep ?? [])]) {
    if (!byKey.has(key(v))) byKey.set(key(v), { value: v, count: 0, checked: false });
  }
  const sel = new Set(selected.map(key));
  const keep = new Set((opts.keep ?? []).map(key));
  const all = [...byKey.values()];
  for (const o of all) o.checked = sel.has(key(o.value));
  all.sort((a, b) => b.count - a.count || (key(a.value) < key(b.value) ? -1 : key(a.value) > key(b.value) ? 1 : 0));
  const limit = opts.limit ?? Infinity;
  const options = all.filter((o, i) => i < limit || o.checked || keep.has(key(o.value)));
  return { options, hidden: all.length - options.length };
}
