/**
 * Copy and paste as workflow-document JSON: the copied text is a small document
 * (`{"nodes", "connections", "sticky_notes", "pinned_data"}`), so it pastes into another
 * workflow, into a text editor, and back. Pasting takes such a snippet, a whole exported
 * workflow, a list of nodes or one node; ids and names that clash get a new one (and
 * `nodes['Old name']` references inside the pasted nodes follow), positions move to where
 * the paste goes.
 */
import type { DocConnection, DocNode, Item } from "../types";
import { fromPort, makeConnection, nodeName, toPort, uniqueId, uniqueName, type Position, type StickyNote, type WorkflowDoc } from "./document";
import { renameAllInValue } from "./rename";

export interface Snippet {
  nodes: DocNode[];
  connections: DocConnection[];
  sticky_notes: StickyNote[];
  pinned_data: Record<string, Item[]>;
}

/** Where a paste goes when the editor gives no place: this far from the copied nodes. */
export const PASTE_OFFSET = 40;

/** The selected nodes and notes, with the connections between them, as JSON text. */
export function copySelection(doc: WorkflowDoc, nodeIds: Iterable<string>, noteIds: Iterable<string> = []): string | null {
  const ids = new Set(nodeIds);
  const notes = new Set(noteIds);
  const nodes = doc.nodes.filter((n) => ids.has(n.id));
  const stickies = (doc.sticky_notes ?? []).filter((s) => notes.has(s.id));
  if (nodes.length === 0 && stickies.length === 0) return null;
  const snippet: Partial<Snippet> = {
    nodes,
    connections: doc.connections.filter((c) => ids.has(c.from) && ids.has(c.to)),
  };
  if (stickies.length) snippet.sticky_notes = stickies;
  const pinned = Object.fromEntries(Object.entries(doc.pinned_data ?? {}).filter(([id]) => ids.has(id)));
  if (Object.keys(pinned).length) snippet.pinned_data = pinned;
  return JSON.stringify(snippet, null, 2);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

function asNode(v: unknown): DocNode | null {
  if (!isObject(v) || typeof v.type !== "string" || !v.type) return null;
  const id = typeof v.id === "string" && v.id ? v.id : typeof v.id === "number" ? String(v.id) : "";
  return { ...(v as unknown as DocNode), id: id || v.type.split(".").pop() || "node" };
}

/** A snippet from pasted text, or null when the text is not one (then the paste is not ours). */
export function parseSnippet(text: string): Snippet | null {
  let value: unknown;
  try {
    value = JSON.parse(text.trim());
  } catch {
    return null;
  }
  let rawNodes: unknown[];
  let rest: Record<string, unknown> = {};
  if (Array.isArray(value)) rawNodes = value;
  else if (isObject(value) && Array.isArray(value.nodes)) {
    rawNodes = value.nodes;
    rest = value;
  } else if (isObject(value) && Array.isArray(value.sticky_notes)) {
    rawNodes = [];
    rest = value;
  } else rawNodes = [value];
  const nodes = rawNodes.map(asNode);
  if (nodes.some((n) => n === null)) return null;
  const connections = (Array.isArray(rest.connections) ? rest.connections : []).filter(
    (c): c is DocConnection => isObject(c) && typeof c.from === "string" && typeof c.to === "string",
  );
  const notes = (Array.isArray(rest.sticky_notes) ? rest.sticky_notes : []).filter(
    (s): s is StickyNote => isObject(s) && typeof s.id === "string",
  );
  const pinned = isObject(rest.pinned_data) ? (rest.pinned_data as Record<string, Item[]>) : {};
  if (nodes.length === 0 && notes.length === 0) return null;
  return { nodes: nodes as DocNode[], connections, sticky_notes: notes, pinned_data: pinned };
}

/** Top-left corner of what is pasted. */
function topLeft(snippet: Snippet): Position {
  const points = [...snippet.nodes.map((n) => n.position), ...snippet.sticky_notes.map((s) => s.position)].filter(Boolean) as { x?: number; y?: number }[];
  if (points.length === 0) return { x: 0, y: 0 };
  return { x: Math.min(...points.map((p) => p.x ?? 0)), y: Math.min(...points.map((p) => p.y ?? 0)) };
}

/** Node references (`nodes['Old']`, `nodes["Old"]`, `nodes.Old`) in every string of
 * `value` renamed, as `rename.ts` finds them. */
export const renameReferences = (value: unknown, renames: ReadonlyMap<string, string>): unknown => renameAllInValue(value, renames);

export interface PasteResult {
  doc: WorkflowDoc;
  /** The pasted nodes' ids and notes' ids (to select them). */
  nodeIds: string[];
  noteIds: string[];
}

/** The document with the snippet added: new ids/names on clash, moved to `at` (its
 * top-left corner) or by PASTE_OFFSET. */
export function pasteSnippet(doc: WorkflowDoc, snippet: Snippet, at?: Position): PasteResult {
  const origin = topLeft(snippet);
  const shift = at ? { x: at.x - origin.x, y: at.y - origin.y } : { x: PASTE_OFFSET, y: PASTE_OFFSET };
  const move = (p: { x?: number; y?: number } | null | undefined, i: number): Position => {
    const base = p ?? { x: origin.x + 220 * i, y: origin.y };
    return { x: Math.round((base.x ?? 0) + shift.x), y: Math.round((base.y ?? 0) + shift.y) };
  };
  const ids = new Set(doc.nodes.map((n) => n.id));
  const names = new Set(doc.nodes.map(nodeName));
  const idMap = new Map<string, string>();
  const renames = new Map<string, string>();
  const fresh = snippet.nodes.map((n, i) => {
    const id = uniqueId(n.id, ids);
    ids.add(id);
    if (!idMap.has(n.id)) idMap.set(n.id, id);
    const oldName = nodeName(n);
    const name = uniqueName(oldName === n.id && id !== n.id && !names.has(id) ? id : oldName, names);
    names.add(name);
    if (name !== oldName) renames.set(oldName, name);
    return { ...n, id, name, position: move(n.position, i) };
  });
  const nodes = fresh.map((n) => (renames.size && n.params ? { ...n, params: renameReferences(n.params, renames) as DocNode["params"] } : n));
  const connections = snippet.connections
    .filter((c) => idMap.has(c.from) && idMap.has(c.to))
    .map((c) => makeConnection(idMap.get(c.from)!, fromPort(c), idMap.get(c.to)!, toPort(c)));
  const noteIds = new Set((doc.sticky_notes ?? []).map((s) => s.id));
  const notes = snippet.sticky_notes.map((s, i) => {
    const id = uniqueId(s.id, noteIds);
    noteIds.add(id);
    return { ...s, id, position: move(s.position, i) };
  });
  let pinned = doc.pinned_data ?? null;
  for (const [oldId, items] of Object.entries(snippet.pinned_data)) {
    const id = idMap.get(oldId);
    if (id && Array.isArray(items)) pinned = { ...(pinned ?? {}), [id]: items };
  }
  return {
    doc: {
      ...doc,
      nodes: [...doc.nodes, ...nodes],
      connections: [...doc.connections, ...connections],
      sticky_notes: notes.length ? [...(doc.sticky_notes ?? []), ...notes] : doc.sticky_notes,
      pinned_data: pinned,
    },
    nodeIds: nodes.map((n) => n.id),
    noteIds: notes.map((s) => s.id),
  };
}
