import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute, type Route } from './routes';

describe('parseRoute', () => {
  it.each<[string, string, Route]>([
    ['/', '', { page: 'home' }],
    ['/search', '?q=pay%20api&kind=component&kind=api', { page: 'search', query: 'pay api', kinds: ['component', 'api'] }],
    ['/catalog', '', { page: 'catalog', kind: 'component' }],
    ['/catalog/', '?kind=API', { page: 'catalog', kind: 'api' }],
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
    { page: 'catalog', kind: 'component' },
    { page: 'catalog', kind: 'group' },
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
