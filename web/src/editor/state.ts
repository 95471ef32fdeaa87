/**
 * The editor's state as a pure reducer: the document with its undo history, what was last
 * saved (unsaved changes = a different document), the selection, the open node and the
 * server's validation errors.
 */
import type { FieldError } from "../api/errors";
import type { FieldErrors, NodeTypeMeta } from "./types";
import { pasteSnippet, type Snippet } from "./model/clipboard";
import { docFrom, isNoteFlowId, reconcile, noteFlowId, noteIdOf, removeElements, type Position, type WorkflowDoc } from "./model/document";
import { withLayout } from "./model/layout";
import { canRedo, canUndo, initHistory, record, redo, replacePresent, undo, type History } from "./model/history";
import type { PlacedErrors } from "./model/validation";

export interface EditorState {
  history: History<WorkflowDoc>;
  /** The document as last loaded or saved. */
  saved: WorkflowDoc;
  version: number;
  active: boolean;
  /** Selected nodes and notes (canvas ids) and connections (connection ids). */
  selected: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  /** The node whose panel is open. */
  open: string | null;
  errors: ReadonlyMap<string, FieldErrors>;
  generalErrors: FieldError[];
}

export interface Loaded {
  version: number;
  active: boolean;
  [field: string]: unknown;
}

export type EditorAction =
  | { type: "change"; change: (doc: WorkflowDoc) => WorkflowDoc; key?: string | undefined; select?: string[] }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "select"; nodes?: [string, boolean][]; edges?: [string, boolean][] }
  | { type: "selectOnly"; nodes: string[]; edges?: string[] }
  | { type: "selectAll" }
  | { type: "open"; node: string | null }
  | { type: "deleteSelection" }
  | { type: "paste"; snippet: Snippet; at?: Position | undefined }
  | { type: "loaded"; workflow: Loaded }
  | { type: "saved"; workflow: Loaded; sent: WorkflowDoc }
  | { type: "active"; active: boolean }
  | { type: "errors"; placed: PlacedErrors | null; merge?: boolean };

const EMPTY = new Set<string>();

export function initState(workflow: Loaded): EditorState {
  // Never placed on a canvas: laid out (saved with the next change).
  const doc = withLayout(docFrom(workflow));
  return {
    history: initHistory(doc),
    saved: doc,
    version: workflow.version,
    active: workflow.active,
    selected: EMPTY,
    selectedEdges: EMPTY,
    open: null,
    errors: new Map(),
    generalErrors: [],
  };
}

/** Errors of nodes that changed are dropped (the user is fixing them). */
function pruneErrors(errors: ReadonlyMap<string, FieldErrors>, before: WorkflowDoc, after: WorkflowDoc): ReadonlyMap<string, FieldErrors> {
  if (errors.size === 0) return errors;
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const next = new Map(errors);
  for (const n of after.nodes) if (old.get(n.id) !== n) next.delete(n.id);
  for (const id of errors.keys()) if (!after.nodes.some((n) => n.id === id)) next.delete(id);
  return next.size === errors.size ? errors : next;
}

/** Selection of things that still exist. */
function pruneSelection(state: EditorState, doc: WorkflowDoc): Pick<EditorState, "selected" | "selectedEdges" | "open"> {
  const ids = new Set([...doc.nodes.map((n) => n.id), ...(doc.sticky_notes ?? []).map((s) => noteFlowId(s.id))]);
  const selected = [...state.selected].every((id) => ids.has(id)) ? state.selected : new Set([...state.selected].filter((id) => ids.has(id)));
  const open = state.open && ids.has(state.open) ? state.open : null;
  return { selected, selectedEdges: state.selectedEdges.size ? EMPTY : state.selectedEdges, open };
}

function withDoc(state: EditorState, history: History<WorkflowDoc>): EditorState {
  if (history === state.history) return state;
  return { ...state, history, ...pruneSelection(state, history.present), errors: pruneErrors(state.errors, state.history.present, history.present) };
}

export function editorReducer(state: EditorState, action: EditorAction): EditorState {
  const doc = state.history.present;
  switch (action.type) {
    case "change": {
      const next = action.change(doc);
      if (next === doc) return state;
      const s = withDoc(state, record(state.history, next, { key: action.key }));
      return action.select ? { ...s, selected: new Set(action.select), selectedEdges: EMPTY } : s;
    }
    case "undo":
      return canUndo(state.history) ? withDoc(state, undo(state.history)) : state;
    case "redo":
      return canRedo(state.history) ? withDoc(state, redo(state.history)) : state;
    case "select": {
      let selected = state.selected;
      let edges = state.selectedEdges;
      if (action.nodes?.length) {
        const next = new Set(selected);
        for (const [id, on] of action.nodes) on ? next.add(id) : next.delete(id);
        selected = next;
      }
      if (action.edges?.length) {
        const next = new Set(edges);
        for (const [id, on] of action.edges) on ? next.add(id) : next.delete(id);
        edges = next;
      }
      return selected === state.selected && edges === state.selectedEdges ? state : { ...state, selected, selectedEdges: edges };
    }
    case "selectOnly":
      return { ...state, selected: new Set(action.nodes), selectedEdges: new Set(action.edges ?? []) };
    case "selectAll":
      return {
        ...state,
        selected: new Set([...doc.nodes.map((n) => n.id), ...(doc.sticky_notes ?? []).map((s) => noteFlowId(s.id))]),
        selectedEdges: EMPTY,
      };
    case "open":
      return state.open === action.node ? state : { ...state, open: action.node };
    case "deleteSelection": {
      const ids = [...state.selected];
      const next = removeElements(doc, {
        nodes: ids.filter((id) => !isNoteFlowId(id)),
        notes: ids.filter(isNoteFlowId).map(noteIdOf),
        connections: [...state.selectedEdges],
      });
      if (next === doc) return state;
      return { ...withDoc(state, record(state.history, next)), selected: EMPTY, selectedEdges: EMPTY };
    }
    case "paste": {
      const { doc: next, nodeIds, noteIds } = pasteSnippet(doc, action.snippet, action.at);
      return { ...withDoc(state, record(state.history, next)), selected: new Set([...nodeIds, ...noteIds.map(noteFlowId)]), selectedEdges: EMPTY };
    }
    case "loaded": {
      const fresh = initState(action.workflow);
      return { ...fresh, open: null };
    }
    case "saved": {
      const saved = reconcile(action.sent, docFrom(action.workflow));
      const common = { saved, version: action.workflow.version, active: action.workflow.active, errors: new Map(), generalErrors: [] };
      // Edited while saving: keep the edits (still unsaved); else the server's normalised
      // copy replaces the present, without an undo step.
      if (state.history.present !== action.sent) return { ...state, ...common };
      return { ...state, ...common, history: replacePresent(state.history, saved) };
    }
    case "active":
      return { ...state, active: action.active };
    case "errors": {
      if (!action.placed) return { ...state, errors: new Map(), generalErrors: [] };
      const errors = action.merge ? new Map([...state.errors, ...action.placed.byNode]) : action.placed.byNode;
      return { ...state, errors, generalErrors: action.merge ? state.generalErrors : action.placed.general };
    }
  }
}

export const isDirty = (s: EditorState) => s.history.present !== s.saved;

/** Node types by type name. */
export function typeMap(types: readonly NodeTypeMeta[] | undefined): ReadonlyMap<string, NodeTypeMeta> {
  return new Map((types ?? []).map((t) => [t.type, t]));
}
