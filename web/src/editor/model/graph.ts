/**
 * Document ↔ canvas graph. `buildGraph` turns the document (plus what the editor overlays on
 * it: selection, run status, validation errors) into @xyflow/react nodes and edges; a
 * `GraphCache` hands back the very same objects for parts that did not change, so the memoised
 * node and edge components of an unchanged part never re-render. The way back is by
 * operations (document.ts): positions on drag stop, a connection from a drawn edge, removals.
 */
import type { Connection as FlowConnection, Edge, Node } from "@xyflow/react";

import type { DocConnection, DocNode, NodeTypeMeta } from "../types";
import { connectionId, fromPort, makeConnection, MAIN, noteFlowId, STICKY_SIZE, toPort, type StickyNote, type WorkflowDoc } from "./document";
import { nodePorts, type NodePorts, type Port } from "./ports";

/** The drawn size of a workflow node (canvas/WorkflowNode.tsx draws exactly this): known up
 * front, so the canvas needs no measuring pass before it shows a big workflow, and only the
 * nodes in view are rendered from the first frame. */
export const NODE_WIDTH = 200;
export const PORT_SPACING = 22;
export const HANDLE_SIZE = 12;

export function nodeHeight(inputs: number, outputs: number): number {
  return Math.max(64, 20 + Math.max(inputs, outputs) * PORT_SPACING);
}

/** Where the i-th of `count` handles sits on a side of a node of height `height`. */
export function handleTop(index: number, count: number, height: number): number {
  return (height * (index + 1)) / (count + 1);
}

type HandleBox = NonNullable<Node["handles"]>[number];

function handlesOf(inputs: Port[], outputs: Port[], height: number): HandleBox[] {
  const half = HANDLE_SIZE / 2;
  const box = (type: "source" | "target", id: string, x: number, y: number): HandleBox => ({
    id,
    type,
    position: (type === "target" ? "left" : "right") as HandleBox["position"],
    x,
    y,
    width: HANDLE_SIZE,
    height: HANDLE_SIZE,
  });
  return [
    ...inputs.map((p, i) => box("target", p.name, -half, handleTop(i, inputs.length, height) - half)),
    ...outputs.map((p, i) => box("source", p.name, NODE_WIDTH - half, handleTop(i, outputs.length, height) - half)),
  ];
}

/** What a node shows of a run: its status and how many items it emitted. */
export interface RunBadge {
  status: string;
  items?: number | undefined;
  /** How long it ran (ms), once finished. */
  ms?: number | undefined;
  /** It is running and streams text (an AI node's answer as it is written). */
  streaming?: boolean | undefined;
}

export interface WorkflowNodeData extends Record<string, unknown> {
  node: DocNode;
  meta: NodeTypeMeta | undefined;
  inputs: Port[];
  outputs: Port[];
  run?: RunBadge | undefined;
  /** The server found problems in this node (red outline). */
  invalid?: boolean;
  pinned?: boolean;
  readOnly?: boolean;
}
export type WorkflowFlowNode = Node<WorkflowNodeData, "workflow">;

export interface StickyNodeData extends Record<string, unknown> {
  note: StickyNote;
  readOnly?: boolean;
}
export type StickyFlowNode = Node<StickyNodeData, "sticky">;
export type EditorFlowNode = WorkflowFlowNode | StickyFlowNode;

export interface LabelledEdgeData extends Record<string, unknown> {
  label?: string | undefined;
  /** Items that went along this edge in the last run. */
  items?: number | undefined;
  stale?: boolean;
}
export type EditorEdge = Edge<LabelledEdgeData, "labelled">;

export interface Overlay {
  selected?: ReadonlySet<string>;
  selectedEdges?: ReadonlySet<string>;
  run?: ReadonlyMap<string, RunBadge>;
  invalid?: ReadonlySet<string>;
  readOnly?: boolean;
}

export interface Graph {
  nodes: EditorFlowNode[];
  edges: EditorEdge[];
  ports: Map<string, NodePorts>;
}

const samePorts = (a: Port[], b: Port[]) =>
  a.length === b.length && a.every((p, i) => p.name === b[i]!.name && !!p.stale === !!b[i]!.stale);
const sameBadge = (a: RunBadge | undefined, b: RunBadge | undefined) =>
  a === b || (!!a && !!b && a.status === b.status && a.items === b.items && a.ms === b.ms && !!a.streaming === !!b.streaming);

/** Where a node without a position goes: a grid in document order. */
export function defaultPosition(index: number) {
  return { x: 280 * (index % 6), y: 160 * Math.floor(index / 6) };
}

/** The edge's label: the output port when it is not the only `main`, and the input port of a
 * node with several inputs. */
export function edgeLabel(c: DocConnection, ports: Map<string, NodePorts>): string | undefined {
  const out = fromPort(c);
  const input = toPort(c);
  const source = ports.get(c.from);
  const target = ports.get(c.to);
  const showOut = out !== MAIN || (source?.outputs.length ?? 1) > 1;
  const showIn = input !== MAIN || (target?.inputs.length ?? 1) > 1;
  if (showOut && showIn) return `${out} → ${input}`;
  if (showOut) return out;
  if (showIn) return `→ ${input}`;
  return undefined;
}

/**
 * Keeps the objects of the previous build: a node or edge whose inputs did not change is
 * returned as the same object (xyflow and React.memo then skip it).
 */
export class GraphCache {
  private nodes = new Map<string, { node: EditorFlowNode; key: unknown[] }>();
  private edges = new Map<string, { edge: EditorEdge; key: unknown[] }>();

  node<T extends EditorFlowNode>(id: string, key: unknown[], make: () => T): T {
    const previous = this.nodes.get(id);
    if (previous && previous.key.length === key.length && previous.key.every((k, i) => k === key[i])) {
      return previous.node as T;
    }
    const node = make();
    this.nodes.set(id, { node, key });
    return node;
  }

  edge(id: string, key: unknown[], make: () => EditorEdge): EditorEdge {
    const previous = this.edges.get(id);
    if (previous && previous.key.length === key.length && previous.key.every((k, i) => k === key[i])) {
      return previous.edge;
    }
    const edge = make();
    this.edges.set(id, { edge, key });
    return edge;
  }

  /** Forget what is no longer in the graph. */
  prune(nodeIds: Set<string>, edgeIds: Set<string>) {
    for (const id of this.nodes.keys()) if (!nodeIds.has(id)) this.nodes.delete(id);
    for (const id of this.edges.keys()) if (!edgeIds.has(id)) this.edges.delete(id);
  }
}

/** Ports are compared by value: the same ports keep the same array. */
class PortCache {
  private last = new Map<string, NodePorts>();
  stable(ports: Map<string, NodePorts>): Map<string, NodePorts> {
    const out = new Map<string, NodePorts>();
    for (const [id, p] of ports) {
      const prev = this.last.get(id);
      out.set(id, {
        inputs: prev && samePorts(prev.inputs, p.inputs) ? prev.inputs : p.inputs,
        outputs: prev && samePorts(prev.outputs, p.outputs) ? prev.outputs : p.outputs,
      });
    }
    this.last = out;
    return out;
  }
}

export interface GraphBuilder {
  (doc: WorkflowDoc, types: ReadonlyMap<string, NodeTypeMeta>, overlay?: Overlay): Graph;
}

/** A `buildGraph` with its own cache (one per canvas). */
export function graphBuilder(): GraphBuilder {
  const cache = new GraphCache();
  const portCache = new PortCache();
  const runCache = new Map<string, RunBadge>();
  return (doc, types, overlay = {}) => {
    const ports = portCache.stable(nodePorts(doc.nodes, doc.connections, types));
    const graph = buildGraph(doc, types, overlay, cache, ports, runCache);
    cache.prune(new Set(graph.nodes.map((n) => n.id)), new Set(graph.edges.map((e) => e.id)));
    return graph;
  };
}

/** The canvas graph of a document (see the module's doc). */
export function buildGraph(
  doc: WorkflowDoc,
  types: ReadonlyMap<string, NodeTypeMeta>,
  overlay: Overlay = {},
  cache: GraphCache = new GraphCache(),
  ports: Map<string, NodePorts> = nodePorts(doc.nodes, doc.connections, types),
  runCache: Map<string, RunBadge> = new Map(),
): Graph {
  const { selected, selectedEdges, run, invalid, readOnly = false } = overlay;
  const pinned = doc.pinned_data ?? {};
  const nodes: EditorFlowNode[] = [];
  // Notes first: drawn under the nodes.
  for (const note of doc.sticky_notes ?? []) {
    const id = noteFlowId(note.id);
    const isSelected = selected?.has(id) ?? false;
    nodes.push(
      cache.node<StickyFlowNode>(id, [note, isSelected, readOnly], () => ({
        id,
        type: "sticky",
        position: { x: note.position?.x ?? 0, y: note.position?.y ?? 0 },
        width: note.width ?? STICKY_SIZE.width,
        height: note.height ?? STICKY_SIZE.height,
        measured: { width: note.width ?? STICKY_SIZE.width, height: note.height ?? STICKY_SIZE.height },
        handles: [],
        zIndex: -1,
        selected: isSelected,
        data: { note, readOnly },
        ariaLabel: `Sticky note: ${(note.text ?? "").slice(0, 60) || "empty"}`,
      })),
    );
  }
  doc.nodes.forEach((node, index) => {
    const meta = types.get(node.type);
    const p = ports.get(node.id)!;
    const isSelected = selected?.has(node.id) ?? false;
    // Badges compared by value: a new but equal one keeps the node as it is.
    const fresh = run?.get(node.id);
    const previousBadge = runCache.get(node.id);
    const badge = sameBadge(previousBadge, fresh) ? previousBadge : fresh;
    if (badge) runCache.set(node.id, badge);
    else runCache.delete(node.id);
    const isInvalid = invalid?.has(node.id) ?? false;
    const isPinned = node.id in pinned;
    nodes.push(
      cache.node<WorkflowFlowNode>(node.id, [node, meta, p.inputs, p.outputs, badge, isSelected, isInvalid, isPinned, readOnly, index], () => {
        const height = nodeHeight(p.inputs.length, p.outputs.length);
        return {
        id: node.id,
        type: "workflow",
        position: node.position ? { x: node.position.x ?? 0, y: node.position.y ?? 0 } : defaultPosition(index),
        width: NODE_WIDTH,
        height,
        measured: { width: NODE_WIDTH, height },
        handles: handlesOf(p.inputs, p.outputs, height),
        selected: isSelected,
        data: { node, meta, inputs: p.inputs, outputs: p.outputs, run: badge, invalid: isInvalid, pinned: isPinned, readOnly },
        ariaLabel: `Node ${node.name || node.id} (${meta?.display_name ?? node.type})`,
      };
      }),
    );
  });
  const edges: EditorEdge[] = [];
  const seen = new Set<string>();
  for (const c of doc.connections) {
    const id = connectionId(c);
    if (seen.has(id)) continue;
    seen.add(id);
    const label = edgeLabel(c, ports);
    const isSelected = selectedEdges?.has(id) ?? false;
    const sourceBadge = run?.get(c.from);
    const items = sourceBadge?.status === "success" && sourceBadge.items !== undefined && (ports.get(c.from)?.outputs.length ?? 1) === 1 ? sourceBadge.items : undefined;
    const stale = !!ports.get(c.from)?.outputs.find((p) => p.name === fromPort(c))?.stale || !!ports.get(c.to)?.inputs.find((p) => p.name === toPort(c))?.stale;
    edges.push(
      cache.edge(id, [label, isSelected, items, stale, readOnly], () => ({
        id,
        type: "labelled",
        source: c.from,
        target: c.to,
        sourceHandle: fromPort(c),
        targetHandle: toPort(c),
        selected: isSelected,
        deletable: !readOnly,
        data: { label, items, stale },
        ariaLabel: `Connection from ${c.from}${label ? ` (${label})` : ""} to ${c.to}`,
      })),
    );
  }
  return { nodes, edges, ports };
}

/** A connection drawn on the canvas as a document connection (handles are port names). */
export function connectionFromFlow(c: FlowConnection): DocConnection {
  return makeConnection(c.source, c.sourceHandle ?? MAIN, c.target, c.targetHandle ?? MAIN);
}

/** Positions of the canvas nodes (by canvas id), e.g. to write them back on drag stop. */
export function positionsOf(nodes: readonly Pick<Node, "id" | "position">[]): Map<string, { x: number; y: number }> {
  return new Map(nodes.map((n) => [n.id, n.position]));
}
