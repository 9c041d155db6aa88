// A layered layout for the relation graph: the root in the middle column,
// what it points to on the right by distance, what points to it on the
// left, each column sorted so the picture is stable between renders.

export interface GraphEdge {
  source: string;
  type: string;
  target: string;
}

export interface Placed {
  id: string;
  x: number;
  y: number;
  /** Hops from the root: negative on the incoming side. */
  layer: number;
}

// Relation types that have an inverse: only one of each pair is drawn.
const inverse: Record<string, string> = {
  ownedBy: 'ownerOf',
  partOf: 'hasPart',
  dependsOn: 'dependencyOf',
  providesApi: 'apiProvidedBy',
  consumesApi: 'apiConsumedBy',
  memberOf: 'hasMember',
  childOf: 'parentOf',
};
const drawn = new Set(Object.keys(inverse));
const inverseOf = new Map(Object.entries(inverse).map(([a, b]) => [b, a]));

/** dedupeEdges keeps one edge per pair of inverse relations, in its forward direction. */
export function dedupeEdges(edges: GraphEdge[]): GraphEdge[] {
  const seen = new Set<string>();
  const out: GraphEdge[] = [];
  for (const e of edges) {
    let f = e;
    const fwd = inverseOf.get(e.type);
    if (fwd && !drawn.has(e.type)) f = { source: e.target, type: fwd, target: e.source };
    const key = `${f.source}\u0000${f.type}\u0000${f.target}`;
    if (seen.has(key) || f.source === f.target) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}

export function layout(root: string, nodes: string[], edges: GraphEdge[], colWidth = 260, rowHeight = 70): Placed[] {
  const out = new Map<string, string[]>();
  const inc = new Map<string, string[]>();
  for (const e of edges) {
    (out.get(e.source) ?? out.set(e.source, []).get(e.source)!).push(e.target);
    (inc.get(e.target) ?? inc.set(e.target, []).get(e.target)!).push(e.source);
  }
  const layer = new Map<string, number>([[root, 0]]);
  // Breadth first, outgoing before incoming, so a node reachable both ways
  // sits on the outgoing side.
  let frontier = [root];
  for (let d = 1; frontier.length > 0; d++) {
    const next: string[] = [];
    for (const n of frontier) {
      const side = layer.get(n)!;
      for (const t of side >= 0 ? out.get(n) ?? [] : []) {
        if (!layer.has(t)) {
          layer.set(t, side + 1);
          next.push(t);
        }
      }
      for (const s of side <= 0 ? inc.get(n) ?? [] : []) {
        if (!layer.has(s)) {
          layer.set(s, side - 1);
          next.push(s);
        }
      }
    }
    frontier = next;
  }
  // Nodes not reached through a path along one direction hang off the far right.
  const maxLayer = Math.max(0, ...layer.values());
  for (const n of [...nodes].sort()) if (!layer.has(n)) layer.set(n, maxLayer + 1);

  const columns = new Map<number, string[]>();
  for (const n of nodes.includes(root) ? nodes : [root, ...nodes]) {
    const l = layer.get(n)!;
    (columns.get(l) ?? columns.set(l, []).get(l)!).push(n);
  }
  const placed: Placed[] = [];
  for (const [l, col] of columns) {
    col.sort();
    col.forEach((id, i) => placed.push({ id, layer: l, x: l * colWidth, y: (i - (col.length - 1) / 2) * rowHeight }));
  }
  return placed.sort((a, b) => a.layer - b.layer || a.y - b.y);
}
