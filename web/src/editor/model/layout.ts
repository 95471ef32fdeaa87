/**
 * Tidy-up: a left-to-right layered layout of the workflow's nodes (dagre). Sticky notes stay
 * where they are. Each connected part is laid out on its own and the parts are stacked, so a
 * stray node does not widen the main flow.
 */
import dagre from "@dagrejs/dagre";

import type { DocConnection, DocNode } from "../types";
import { fromPort, type Position } from "./document";

export interface Size {
  width: number;
  height: number;
}

export const DEFAULT_NODE_SIZE: Size = { width: 200, height: 64 };
const NODE_GAP = 48;
const RANK_GAP = 96;
const PART_GAP = 120;

/** New top-left positions (by node id) for every node. `sizes`: measured sizes if known. */
export function tidyLayout(
  nodes: readonly DocNode[],
  connections: readonly DocConnection[],
  sizes: ReadonlyMap<string, Size> = new Map(),
  origin: Position = { x: 0, y: 0 },
): Map<string, Position> {
  const out = new Map<string, Position>();
  const ids = new Set(nodes.map((n) => n.id));
  const edges = connections.filter((c) => ids.has(c.from) && ids.has(c.to) && c.from !== c.to);
  let top = origin.y;
  for (const part of components(nodes, edges)) {
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "LR", nodesep: NODE_GAP, ranksep: RANK_GAP, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    const members = new Set(part.map((n) => n.id));
    for (const n of part) {
      const size = sizes.get(n.id) ?? DEFAULT_NODE_SIZE;
      g.setNode(n.id, { width: size.width, height: size.height });
    }
    edges.forEach((c, i) => {
      // Output order keeps `true` above `false`, rule 1 above rule 2.
      if (members.has(c.from)) g.setEdge(c.from, c.to, { weight: 1, label: fromPort(c) }, `e${i}`);
    });
    dagre.layout(g);
    let minX = Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    for (const n of part) {
      const { x, y, width, height } = g.node(n.id) as { x: number; y: number; width: number; height: number };
      minX = Math.min(minX, x - width / 2);
      minY = Math.min(minY, y - height / 2);
      maxY = Math.max(maxY, y + height / 2);
    }
    for (const n of part) {
      const { x, y, width, height } = g.node(n.id) as { x: number; y: number; width: number; height: number };
      out.set(n.id, { x: Math.round(origin.x + x - width / 2 - minX), y: Math.round(top + y - height / 2 - minY) });
    }
    top += maxY - minY + PART_GAP;
  }
  return out;
}

/** Connected parts, the biggest first (ties: document order). */
function components(nodes: readonly DocNode[], edges: readonly DocConnection[]): DocNode[][] {
  const parent = new Map(nodes.map((n) => [n.id, n.id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(id, root);
    return root;
  };
  for (const c of edges) parent.set(find(c.from), find(c.to));
  const parts = new Map<string, DocNode[]>();
  for (const n of nodes) {
    const root = find(n.id);
    (parts.get(root) ?? parts.set(root, []).get(root)!).push(n);
  }
  return [...parts.values()].sort((a, b) => b.length - a.length);
}

/** A document whose nodes have no position at all (written by hand, imported) laid out
 * left to right; any other document as it is. */
export function withLayout<T extends { nodes: DocNode[]; connections: DocConnection[] }>(doc: T): T {
  if (doc.nodes.length === 0 || doc.nodes.some((n) => n.position)) return doc;
  const at = tidyLayout(doc.nodes, doc.connections);
  return { ...doc, nodes: doc.nodes.map((n) => ({ ...n, position: at.get(n.id) ?? { x: 0, y: 0 } })) };
}
