import { describe, expect, it } from 'vitest';
import { dedupeEdges, layout } from './graphLayout';

describe('dedupeEdges', () => {
  it('keeps one edge of an inverse pair, forwards', () => {
    expect(
      dedupeEdges([
        { source: 'a', type: 'ownedBy', target: 'g' },
        { source: 'g', type: 'ownerOf', target: 'a' },
        { source: 'x', type: 'dependencyOf', target: 'a' },
        { source: 'a', type: 'dependsOn', target: 'x' },
        { source: 'a', type: 'custom', target: 'a' },
      ]),
    ).toEqual([
      { source: 'a', type: 'ownedBy', target: 'g' },
      { source: 'a', type: 'dependsOn', target: 'x' },
    ]);
  });
});

describe('layout', () => {
  it('puts the root at 0, targets right, sources left, unreached last', () => {
    const placed = layout(
      'r',
      ['r', 'a', 'b', 'c', 'z', 'lonely'],
      [
        { source: 'r', type: 'dependsOn', target: 'a' },
        { source: 'r', type: 'dependsOn', target: 'b' },
        { source: 'a', type: 'dependsOn', target: 'c' },
        { source: 'z', type: 'dependsOn', target: 'r' },
      ],
      100,
      10,
    );
    const at = Object.fromEntries(placed.map((p) => [p.id, p]));
    expect(at.r).toMatchObject({ layer: 0, x: 0, y: 0 });
    expect(at.a).toMatchObject({ layer: 1, x: 100, y: -5 });
    expect(at.b).toMatchObject({ layer: 1, x: 100, y: 5 });
    expect(at.c).toMatchObject({ layer: 2 });
    expect(at.z).toMatchObject({ layer: -1, x: -100 });
    expect(at.lonely).toMatchObject({ layer: 3 });
    expect(placed.map((p) => p.id)).toEqual(['z', 'r', 'a', 'b', 'c', 'lonely']);
  });
  it('is stable whatever the input order', () => {
    const e = [
      { source: 'r', type: 't', target: 'b' },
      { source: 'r', type: 't', target: 'a' },
    ];
    expect(layout('r', ['b', 'a', 'r'], e)).toEqual(layout('r', ['r', 'a', 'b'], [...e].reverse()));
  });
});
