import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute, type Route } from './routes';

describe('parseRoute', () => {
  it.each<[string, string, Route]>([
    ['/', '', { page: 'home' }],
    ['/search', '?q=pay%20api&kind=component&kind=api', { page: 'search', query: 'pay api', kinds: ['component', 'api'] }],
    ['/search', '?q=pay&kind=Component&kind=component', { page: 'search', query: 'pay', kinds: ['component'] }],
    [
      '/search',
      '?q=pay&tag=java&type=service&owner=group%3Adefault%2Fteam-a&tag=Go&tag=go&lifecycle=&nope=x',
      { page: 'search', query: 'pay', kinds: [], filters: { 'spec.type': ['service'], 'spec.owner': ['group:default/team-a'], 'metadata.tags': ['java', 'Go'] } },
    ],
    ['/catalog', '', { page: 'catalog', kind: 'component' }],
    ['/catalog/', '?kind=API', { page: 'catalog', kind: 'api' }],
    ['/catalog', '?kind=api&size=500', { page: 'catalog', kind: 'api', size: 500 }],
    ['/catalog', '?size=200', { page: 'catalog', kind: 'component', size: 200 }],
    ['/catalog', '?size=50', { page: 'catalog', kind: 'component' }],
    ['/catalog', '?size=1000', { page: 'catalog', kind: 'component' }],
    ['/catalog/default/Component/checkout', '', { page: 'entity', namespace: 'default', kind: 'component', name: 'checkout', tab: 'overview' }],
    ['/catalog/ops/api/pay.v1', '?tab=graph', { page: 'entity', namespace: 'ops', kind: 'api', name: 'pay.v1', tab: 'graph' }],
    ['/catalog/default/component/x', '?tab=actions&action=example.announce', { page: 'entity', namespace: 'default', kind: 'component', name: 'x', tab: 'actions', action: 'example.announce' }],
    ['/catalog/default/component/a%20b', '', { page: 'entity', namespace: 'default', kind: 'component', name: 'a b', tab: 'overview' }],
    ['/runs/42', '', { page: 'run', id: '42' }],
    ['/approvals', '', { page: 'approvals' }],
    ['/catalog/default/component', '', { page: 'notFound', path: '/catalog/default/component' }],
    ['/catalog/%E0%A4%A/x/y', '', { page: 'notFound', path: '/catalog/%E0%A4%A/x/y' }],
    ['/nope', '', { page: 'notFound', path: '/nope' }],
  ])('%s%s', (path, search, want) => {
    expect(parseRoute(path, search)).toEqual(want);
  });
});

describe('hrefOf', () => {
  it.each<Route>([
    { page: 'home' },
    { page: 'search', query: 'a&b c', kinds: ['api'] },
    { page: 'search', query: '', kinds: [] },
    { page: 'search', query: 'pay', kinds: ['api'], filters: { 'spec.lifecycle': ['production', 'beta'], 'metadata.tags': ['a&b', 'c d'] } },
    { page: 'catalog', kind: 'component' },
    { page: 'catalog', kind: 'group' },
    { page: 'catalog', kind: 'component', size: 500 },
    { page: 'catalog', kind: 'api', size: 200 },
    { page: 'entity', namespace: 'default', kind: 'component', name: 'a/b c', tab: 'overview' },
    { page: 'entity', namespace: 'x', kind: 'api', name: 'y', tab: 'graph' },
    { page: 'entity', namespace: 'x', kind: 'resource', name: 'dev', tab: 'actions', action: 'kubernetes.extend-environment' },
    { page: 'run', id: 'r 1' },
    { page: 'admin' },
  ])('round-trips %j', (r) => {
    const href = hrefOf(r);
    const u = new URL(href, 'http://pont.test');
    expect(parseRoute(u.pathname, u.search)).toEqual(r);
  });
});

describe('catalog addresses', () => {
  it('leaves out the defaults', () => {
    expect(hrefOf({ page: 'catalog', kind: 'component', size: 50 })).toBe('/catalog');
    expect(hrefOf({ page: 'catalog', kind: 'api', size: 500 })).toBe('/catalog?kind=api&size=500');
  });
});

describe('search addresses', () => {
  it('writes filters in a fixed order after the kinds', () => {
    expect(
      hrefOf({ page: 'search', query: 'x', kinds: ['api'], filters: { 'metadata.tags': ['go'], 'spec.owner': ['group:default/a'], 'spec.type': ['service'] } }),
    ).toBe('/search?q=x&kind=api&type=service&owner=group%3Adefault%2Fa&tag=go');
  });
  it('leaves out empty filters', () => {
    expect(hrefOf({ page: 'search', query: 'x', kinds: [], filters: { 'spec.type': [] } })).toBe('/search?q=x');
  });
});
