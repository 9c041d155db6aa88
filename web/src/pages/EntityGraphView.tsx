// The relation graph of an entity, N hops out, drawn with @xyflow/react.
// This module is its own chunk: the main bundle does not carry xyflow.

import { Background, Controls, MarkerType, Position, ReactFlow, type Edge, type Node } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { KindBadge } from '../components/EntityBits';
import { ErrorState, Loading } from '../components/States';
import { EntityGraphDocument } from '../gql/graphql';
import { entityPath, shortRef } from '../lib/entityRef';
import { dedupeEdges, layout } from '../lib/graphLayout';
import { Link, navigate } from '../lib/nav';

const key = (r: string) => r.toLowerCase();

export default function EntityGraphView({ root }: { root: string }) {
  const [depth, setDepth] = useState(1);
  const [res, reexec] = useQuery({ query: EntityGraphDocument, variables: { ref: root, depth } });
  const g = res.data?.graph;

  const { nodes, edges } = useMemo(() => {
    if (!g) return { nodes: [] as Node[], edges: [] as Edge[] };
    const byKey = new Map(g.nodes.map((n) => [key(n.ref), n]));
    const es = dedupeEdges(g.edges.map((e) => ({ source: key(e.source), type: e.type, target: key(e.target) }))).filter(
      (e) => byKey.has(e.source) && byKey.has(e.target),
    );
    const placed = layout(key(g.root?.ref ?? root), [...byKey.keys()], es, 300, 100);
    const nodes: Node[] = placed.map((p) => {
      const n = byKey.get(p.id);
      const ref = n?.ref ?? p.id;
      return {
        id: p.id,
        position: { x: p.x, y: p.y },
        className: p.layer === 0 ? 'graph-node root' : 'graph-node',
        data: {
          label: (
            <span className="graph-label">
              <Link href={entityPath(ref)} title={ref}>
                {n?.title || n?.name || shortRef(ref)}
              </Link>
              <KindBadge kind={n?.kind ?? ''} />
            </span>
          ),
        },
        connectable: false,
        // Drawn left to right: what points here on the left, targets on the right.
        sourcePosition: Position.Right,
        targetPosition: Position.Left,
      };
    });
    const edges: Edge[] = es.map((e) => ({
      id: `${e.source}|${e.type}|${e.target}`,
      source: e.source,
      target: e.target,
      label: e.type,
      markerEnd: { type: MarkerType.ArrowClosed },
      className: 'graph-edge',
    }));
    return { nodes, edges };
  }, [g, root]);

  return (
    <section className="graph">
      <div className="toolbar">
        <label htmlFor="depth">Hops</label>
        <select id="depth" value={depth} onChange={(e) => setDepth(Number(e.target.value))}>
          {[1, 2, 3].map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
        {g && (
          <span className="muted" role="status">
            {g.nodes.length} entities, {edges.length} relations{g.truncated ? ' (cut short: too many to draw; use fewer hops)' : ''}
          </span>
        )}
      </div>
      {res.error && <ErrorState error={res.error} retry={() => reexec({ requestPolicy: 'network-only' })} />}
      {res.fetching && !g && <Loading what="the graph" />}
      {g && (
        <div className="graph-canvas" role="figure" aria-label={`Relations of ${root}, ${depth} hop${depth > 1 ? 's' : ''} out. The Relations tab lists them as a table.`}>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            fitView
            colorMode="system"
            nodesConnectable={false}
            nodesDraggable
            elementsSelectable
            onNodeDoubleClick={(_, n) => navigate(entityPath(byRef(g.nodes, n.id)))}
            proOptions={{ hideAttribution: true }}
            minZoom={0.2}
          >
            <Background />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>
      )}
    </section>
  );
}

function byRef(nodes: { ref: string }[], id: string): string {
  return nodes.find((n) => key(n.ref) === id)?.ref ?? id;
}
