import { describe, expect, it } from 'vitest';
import {
  MAX_FILTER_VALUES,
  cleanValues,
  facetOptions,
  filterCount,
  filterVariables,
  filtersFromParams,
  filtersKey,
  toggled,
  withFilter,
  withoutFacet,
} from './searchFilters';

describe('cleanValues', () => {
  it('trims, drops empty and repeated values', () => {
    expect(cleanValues([' go ', '', 'Go', 'java', 'GO'])).toEqual(['go', 'java']);
  });
  it('keeps at most the API’s cap', () => {
    expect(cleanValues(Array.from({ length: 60 }, (_, i) => `t${i}`))).toHaveLength(MAX_FILTER_VALUES);
  });
});

describe('filtersFromParams', () => {
  it('reads the facets’ parameters only', () => {
    const p = new URLSearchParams('q=x&kind=api&type=service&type=website&tag=go&owner=&lifecycle=production');
    expect(filtersFromParams(p)).toEqual({ 'spec.type': ['service', 'website'], 'metadata.tags': ['go'], 'spec.lifecycle': ['production'] });
  });
});

describe('filterVariables', () => {
  it('is null without filters', () => {
    expect(filterVariables(undefined)).toBeNull();
    expect(filterVariables({})).toBeNull();
    expect(filterVariables({ 'spec.type': [] })).toBeNull();
  });
  it('orders fields and values stably', () => {
    expect(filterVariables({ 'metadata.tags': ['java', 'Go'], 'spec.type': ['service'] })).toEqual([
      { field: 'spec.type', values: ['service'] },
      { field: 'metadata.tags', values: ['Go', 'java'] },
    ]);
  });
  it('gives the same key to the same selection', () => {
    expect(filtersKey(['api', 'component'], { 'metadata.tags': ['b', 'a'] })).toBe(filtersKey(['component', 'api'], { 'metadata.tags': ['a', 'b'] }));
    expect(filtersKey([], { 'metadata.tags': ['a'] })).not.toBe(filtersKey([], { 'spec.type': ['a'] }));
  });
});

describe('toggling', () => {
  it('adds and removes, case aside', () => {
    expect(toggled(['go'], 'java')).toEqual(['go', 'java']);
    expect(toggled(['go', 'java'], 'Go')).toEqual(['java']);
  });
  it('sets a facet, dropping it when empty', () => {
    expect(withFilter({ 'spec.type': ['service'] }, 'metadata.tags', ['go'])).toEqual({ 'spec.type': ['service'], 'metadata.tags': ['go'] });
    expect(withFilter({ 'spec.type': ['service'] }, 'spec.type', [])).toEqual({});
  });
  it('counts the selected values, kinds too', () => {
    expect(filterCount(['api'], { 'spec.type': ['a', 'b'] })).toBe(3);
    expect(filterCount([], undefined)).toBe(0);
  });
});

describe('facetOptions', () => {
  const counted = [
    { value: 'service', count: 5 },
    { value: 'website', count: 3 },
    { value: 'library', count: 3 },
    { value: 'Service', count: 1 },
  ];
  it('merges case variants, sorts by count then value, and checks the selected', () => {
    expect(facetOptions(counted, ['WEBSITE']).options).toEqual([
      { value: 'service', count: 6, checked: false },
      { value: 'library', count: 3, checked: false },
      { value: 'website', count: 3, checked: true },
    ]);
  });
  it('keeps selected values without hits, unchecked ones just toggled', () => {
    const { options } = facetOptions([{ value: 'service', count: 2 }], ['grpc'], { keep: ['batch'] });
    expect(options).toEqual([
      { value: 'service', count: 2, checked: false },
      { value: 'batch', count: 0, checked: false },
      { value: 'grpc', count: 0, checked: true },
    ]);
  });
  it('shows the first values up to the limit, and the selected beyond it', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ value: `t${String(i).padStart(2, '0')}`, count: 20 - i }));
    const { options, hidden } = facetOptions(many, ['t11'], { limit: 3 });
    expect(options.map((o) => o.value)).toEqual(['t00', 't01', 't02', 't11']);
    expect(hidden).toBe(8);
    expect(facetOptions(many, [], {}).hidden).toBe(0);
  });
});

describe('withoutFacet', () => {
  const filters = { 'spec.type': ['service'], 'metadata.tags': ['go'] };
  it('leaves out one facet, the others kept', () => {
    expect(withoutFacet(['api'], filters, 'metadata.tags')).toEqual({ kinds: ['api'], filters: { 'spec.type': ['service'] } });
    expect(withoutFacet(['api'], filters, 'kind')).toEqual({ kinds: [], filters });
    expect(filters).toEqual({ 'spec.type': ['service'], 'metadata.tags': ['go'] });
  });
});
