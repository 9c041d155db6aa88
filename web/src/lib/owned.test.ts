import { describe, expect, it } from 'vitest';
import { groupOwned, ownerKeys } from './owned';

describe('ownerKeys', () => {
  it('takes the user and groups as ref keys, once each', () => {
    expect(ownerKeys({ user: 'user:default/Ada', groups: ['group:default/Payments', 'payments', 'group:ops/sre'] })).toEqual([
      'user:default/ada',
      'group:default/payments',
      'group:ops/sre',
    ]);
    expect(ownerKeys({ user: null, groups: [] })).toEqual([]);
  });
});

describe('groupOwned', () => {
  it('groups by kind, sorted, without repeats', () => {
    const a = [
      { ref: 'Component:default/b', kind: 'Component', name: 'b' },
      { ref: 'System:default/s', kind: 'System', name: 's' },
    ];
    const b = [
      { ref: 'component:default/B', kind: 'Component', name: 'b' },
      { ref: 'Component:default/a', kind: 'Component', name: 'a' },
      { ref: 'API:default/x', kind: 'API', name: 'x' },
    ];
    expect(groupOwned([a, b]).map(([k, l]) => [k, l.map((e) => e.name)])).toEqual([
      ['component', ['a', 'b']],
      ['api', ['x']],
      ['system', ['s']],
    ]);
  });
});
