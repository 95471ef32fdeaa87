/**
 * The workflow document as the editor holds it, and the pure operations the canvas applies
 * to it (move, add, connect, delete, pin, notes). Every operation returns a new document and
 * keeps the objects it did not change, so memoised views of unchanged parts stay as they are.
 */
import type { components } from "../../api/schema";
import type { DocConnection, DocNode, Item, WorkflowSettings } from "../types";

export type StickyNote = components["schemas"]["StickyNote-Input"];
export type StickyColor = NonNullable<StickyNote["color"]>;
export const STICKY_COLORS: StickyColor[] = ["yellow", "blue", "green", "pink", "purple", "gray"];
export const STICKY_SIZE = { width: 240, height: 160 };

export interface Position {
  x: number;
  y: number;
}

/** The parts of a workflow the editor changes (what `PUT /api/workflows/{id}` takes). */
export interface WorkflowDoc {
  name: string;
  description?: string;
  tags?: string[];
  nodes: DocNode[];
  connections: DocConnection[];
  settings?: WorkflowSettings;
  pinned_data?: Record<string, Item[]> | null;
  sticky_notes?: StickyNote[];
}

export const MAIN = "main";

/** The document fields of a workflow (or of a stored version's document). */
export function docFrom(source: Record<string, unknown>): WorkflowDoc {
  const s = source as Partial<WorkflowDoc>;
  const doc: WorkflowDoc = {
    name: String(s.name ?? ""),
    description: s.description ?? "",
    tags: [...(s.tags ?? [])],
    nodes: (s.nodes ?? []) as DocNode[],
    connections: (s.connections ?? []) as DocConnection[],
    settings: (s.settings ?? {}) as WorkflowSettings,
    pinned_data: s.pinned_data ?? null,
    sticky_notes: (s.sticky_notes ?? []) as StickyNote[],
  };
  return doc;
}

export const fromPort = (c: DocConnection) => c.from_output ?? MAIN;
export const toPort = (c: DocConnection) => c.to_input ?? MAIN;

/** A stable id for a connection (also the canvas edge's id). */
export function connectionId(c: DocConnection): string {
  return `${c.from}:${fromPort(c)}->${c.to}:${toPort(c)}`;
}

function sameConnection(a: DocConnection, b: DocConnection): boolean {
  return a.from === b.from && a.to === b.to && fromPort(a) === fromPort(b) && toPort(a) === toPort(b);
}

/** A connection as the document writes it: ports only when not `main`. */
export function makeConnection(from: string, fromOutput: string | null | undefined, to: string, toInput: string | null | undefined): DocConnection {
  const c: DocConnection = { from, to };
  if (fromOutput && fromOutput !== MAIN) c.from_output = fromOutput;
  if (toInput && toInput !== MAIN) c.to_input = toInput;
  return c;
}

/** Sticky notes live on the canvas next to nodes; their canvas ids never clash with a node's
 * (node ids cannot hold a colon). */
export const NOTE_PREFIX = "note:";
export const noteFlowId = (id: string) => `${NOTE_PREFIX}${id}`;
export const isNoteFlowId = (flowId: string) => flowId.startsWith(NOTE_PREFIX);
export const noteIdOf = (flowId: string) => flowId.slice(NOTE_PREFIX.length);

/** Positions of nodes and notes (by canvas id) written into the document. */
export function moveElements(doc: WorkflowDoc, positions: ReadonlyMap<string, Position>): WorkflowDoc {
  if (positions.size === 0) return doc;
  const round = (p: Position): Position => ({ x: Math.round(p.x), y: Math.round(p.y) });
  let nodesChanged = false;
  const nodes = doc.nodes.map((n) => {
    const p = positions.get(n.id);
    if (!p) return n;
    const next = round(p);
    if (n.position && n.position.x === next.x && n.position.y === next.y) return n;
    nodesChanged = true;
    return { ...n, position: next };
  });
  let notesChanged = false;
  const notes = (doc.sticky_notes ?? []).map((s) => {
    const p = positions.get(noteFlowId(s.id));
    if (!p) return s;
    notesChanged = true;
    return { ...s, position: round(p) };
  });
  if (!nodesChanged && !notesChanged) return doc;
  return { ...doc, nodes: nodesChanged ? nodes : doc.nodes, sticky_notes: notesChanged ? notes : doc.sticky_notes };
}

export function addNode(doc: WorkflowDoc, node: DocNode, connectFrom?: { node: string; port: string; input?: string }): WorkflowDoc {
  const connections = connectFrom
    ? [...doc.connections, makeConnection(connectFrom.node, connectFrom.port, node.id, connectFrom.input)]
    : doc.connections;
  return { ...doc, nodes: [...doc.nodes, node], connections };
}

/** Add a connection (a repeat of an existing one, or a node to itself, changes nothing). */
export function connect(doc: WorkflowDoc, c: DocConnection): WorkflowDoc {
  if (c.from === c.to) return doc;
  if (doc.connections.some((x) => sameConnection(x, c))) return doc;
  return { ...doc, connections: [...doc.connections, c] };
}

export interface Removal {
  nodes?: readonly string[];
  notes?: readonly string[];
  /** Connection ids (`connectionId`). */
  connections?: readonly string[];
}

/** Remove nodes (with their connections and pinned data), notes and connections. */
export function removeElements(doc: WorkflowDoc, removal: Removal): WorkflowDoc {
  const nodes = new Set(removal.nodes ?? []);
  const notes = new Set(removal.notes ?? []);
  const edges = new Set(removal.connections ?? []);
  if (nodes.size + notes.size + edges.size === 0) return doc;
  let pinned = doc.pinned_data ?? null;
  if (pinned && [...nodes].some((id) => id in pinned!)) {
    pinned = Object.fromEntries(Object.entries(pinned).filter(([id]) => !nodes.has(id)));
    if (Object.keys(pinned).length === 0) pinned = null;
  }
  return {
    ...doc,
    nodes: nodes.size ? doc.nodes.filter((n) => !nodes.has(n.id)) : doc.nodes,
    connections: doc.connections.filter((c) => !nodes.has(c.from) && !nodes.has(c.to) && !edges.has(connectionId(c))),
    sticky_notes: notes.size ? (doc.sticky_notes ?? []).filter((s) => !notes.has(s.id)) : doc.sticky_notes,
    pinned_data: pinned,
  };
}

/** Replace a node (same id). */
export function replaceNode(doc: WorkflowDoc, next: DocNode): WorkflowDoc {
  const index = doc.nodes.findIndex((n) => n.id === next.id);
  if (index < 0 || doc.nodes[index] === next) return doc;
  const nodes = doc.nodes.slice();
  nodes[index] = next;
  return { ...doc, nodes };
}

/** Pin items as a node's output (null unpins). */
export function setPinned(doc: WorkflowDoc, nodeId: string, items: Item[] | null): WorkflowDoc {
  const pinned = { ...(doc.pinned_data ?? {}) };
  if (items) pinned[nodeId] = items;
  else delete pinned[nodeId];
  return { ...doc, pinned_data: Object.keys(pinned).length ? pinned : null };
}

export function addNote(doc: WorkflowDoc, note: StickyNote): WorkflowDoc {
  return { ...doc, sticky_notes: [...(doc.sticky_notes ?? []), note] };
}

export function updateNote(doc: WorkflowDoc, id: string, change: Partial<StickyNote>): WorkflowDoc {
  const notes = doc.sticky_notes ?? [];
  const index = notes.findIndex((s) => s.id === id);
  if (index < 0) return doc;
  const next = notes.slice();
  next[index] = { ...notes[index]!, ...change, id };
  return { ...doc, sticky_notes: next };
}

const ID_CHARS = /[^A-Za-z0-9_.-]+/g;
const VALID_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;

/** `base` if it is a free, valid id; else one made from it (letters, digits, `_ . -`) that is
 * not among `taken`: base, base_2, base_3… */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const valid = VALID_ID.test(base)
    ? base
    : base.replace(ID_CHARS, "_").replace(/^[_.-]+|[_.-]+$/g, "").toLowerCase().slice(0, 80) || "node";
  if (!taken.has(valid)) return valid;
  const stem = valid.replace(/_\d+$/, "").slice(0, 190);
  for (let i = 2; ; i++) {
    const candidate = `${stem}_${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** A display name like `base` not among `taken` (case-insensitive): "Set", "Set 2", … */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  const lower = new Set([...taken].map((t) => t.toLowerCase()));
  const clean = base.trim() || "Node";
  if (!lower.has(clean.toLowerCase())) return clean;
  const stem = clean.replace(/ \d+$/, "");
  for (let i = 2; ; i++) {
    const candidate = `${stem} ${i}`;
    if (!lower.has(candidate.toLowerCase())) return candidate;
  }
}

export const nodeName = (n: DocNode) => n.name || n.id;

/** A new node of a type, with a fresh id and name, at a position. */
export function newNode(doc: WorkflowDoc, type: { type: string; display_name: string }, position: Position): DocNode {
  const ids = new Set(doc.nodes.map((n) => n.id));
  const names = new Set(doc.nodes.map(nodeName));
  const base = type.display_name || type.type.split(".").pop() || "node";
  return {
    id: uniqueId(base.toLowerCase().replace(ID_CHARS, "_"), ids),
    name: uniqueName(base, names),
    type: type.type,
    params: {},
    position: { x: Math.round(position.x), y: Math.round(position.y) },
  };
}

export function newNoteId(doc: WorkflowDoc): string {
  return uniqueId("note", new Set((doc.sticky_notes ?? []).map((s) => s.id)));
}

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

function shareList<T>(prev: readonly T[] | undefined, next: readonly T[] | undefined, key: (t: T) => string): T[] | undefined {
  if (!next) return next;
  const old = new Map((prev ?? []).map((t) => [key(t), t]));
  let changed = !prev || prev.length !== next.length;
  const out = next.map((t, i) => {
    const o = old.get(key(t));
    if (o !== undefined && same(o, t)) {
      if (prev![i] !== o) changed = true;
      return o;
    }
    changed = true;
    return t;
  });
  return changed ? out : (prev as T[]);
}

/** `next` with the parts equal to `prev`'s replaced by `prev`'s objects (after a save the
 * server's copy is mostly what was sent: unchanged nodes keep their identity, so the canvas
 * does not redraw them). */
export function reconcile(prev: WorkflowDoc, next: WorkflowDoc): WorkflowDoc {
  return {
    ...next,
    nodes: shareList(prev.nodes, next.nodes, (n) => n.id)!,
    connections: shareList(prev.connections, next.connections, connectionId)!,
    sticky_notes: shareList(prev.sticky_notes, next.sticky_notes, (s) => s.id),
    settings: same(prev.settings, next.settings) ? prev.settings : next.settings,
    pinned_data: same(prev.pinned_data, next.pinned_data) ? prev.pinned_data : next.pinned_data,
    tags: same(prev.tags, next.tags) ? prev.tags : next.tags,
  };
}
