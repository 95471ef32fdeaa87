/**
 * The editor's commands over its state: change the document, save (409 and 422 handled),
 * run and follow the run, test a node, add nodes and notes, tidy up, copy and paste, view
 * and restore versions. Every command is a stable function (the canvas never re-renders
 * because a callback changed).
 */
import { useReactFlow } from "@xyflow/react";
import { useCallback, useMemo, useReducer, useRef, useState } from "react";

import { ApiError } from "../api/errors";
import { executeFollowing, testNode, type WorkflowOut } from "./api";
import { copySelection, parseSnippet } from "./model/clipboard";
import {
  addNode,
  addNote,
  connect,
  isNoteFlowId,
  moveElements,
  newNode,
  newNoteId,
  noteFlowId,
  nodeName,
  noteIdOf,
  setPinned,
  STICKY_SIZE,
  updateNote,
  type Position,
  type StickyNote,
  type WorkflowDoc,
} from "./model/document";
import { tidyLayout, type Size } from "./model/layout";
import { replaceNodeRenaming } from "./model/rename";
import { placeErrors } from "./model/validation";
import { editorReducer, initState, type EditorState } from "./state";
import type { DocConnection, DocNode, Item, NodeTypeMeta } from "./types";
import { useRun } from "./useRun";
import { useSave } from "./useSave";
import { useVersionView } from "./useVersionView";

export type { Viewing } from "./useVersionView";

export type Notice = { kind: "ok" | "error"; text: string; error?: unknown } | null;

export function useEditor(workflow: WorkflowOut, types: ReadonlyMap<string, NodeTypeMeta>) {
  const id = workflow.id;
  const [state, dispatch] = useReducer(editorReducer, workflow, initState);
  const stateRef = useRef<EditorState>(state);
  stateRef.current = state;
  const flow = useReactFlow();
  const run = useRun(() => stateRef.current.history.present.connections);
  const { start, showTest } = run;
  const [running, setRunning] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const clipboard = useRef<string | null>(null);
  const pointer = useRef<Position | null>(null);

  const change = useCallback((fn: (doc: WorkflowDoc) => WorkflowDoc, key?: string, select?: string[]) => {
    dispatch({ type: "change", change: fn, key, ...(select ? { select } : {}) });
  }, []);

  const { save, reload, overwrite, saving, conflict, setConflict } = useSave(id, stateRef, dispatch, setNotice);

  const runWorkflow = useCallback(async () => {
    setRunning(true);
    try {
      if (!(await save(true))) return;
      // Started and followed in one request: no event of the run is missed.
      await start((signal) => executeFollowing(id, signal));
      setNotice(null);
    } catch (e) {
      setNotice({ kind: "error", text: "Could not run the workflow.", error: e });
    } finally {
      setRunning(false);
    }
  }, [id, start, save]);

  const test = useCallback(
    async (node: DocNode, items: Item[]) => {
      try {
        const record = await testNode(id, node, items);
        showTest(record, node.id, items);
      } catch (e) {
        if (e instanceof ApiError && e.status === 422) {
          dispatch({ type: "errors", placed: placeErrors(e.errors, stateRef.current.history.present, node.id), merge: true });
        }
        throw e;
      }
    },
    [id, showTest],
  );

  /** The middle of the canvas, in flow coordinates. */
  const viewCenter = useCallback((): Position => {
    const pane = document.querySelector(".react-flow")?.getBoundingClientRect();
    if (!pane) return { x: 0, y: 0 };
    return flow.screenToFlowPosition({ x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 });
  }, [flow]);

  const add = useCallback(
    (type: NodeTypeMeta, at?: Position, after?: { node: string; port: string } | null) => {
      const doc = stateRef.current.history.present;
      let position = at;
      if (!position && after) {
        const source = flow.getInternalNode(after.node);
        const base = source?.position ?? { x: 0, y: 0 };
        const outputs = source?.data && "outputs" in source.data ? (source.data.outputs as { name: string }[]) : [];
        const index = Math.max(0, outputs.findIndex((p) => p.name === after.port));
        const spread = outputs.length > 1 ? (index - (outputs.length - 1) / 2) * 110 : 0;
        position = { x: base.x + 280, y: base.y + spread };
      }
      if (!position) {
        const c = viewCenter();
        position = { x: c.x - 100, y: c.y - 32 };
      }
      const node = newNode(doc, type, position);
      change((d) => addNode(d, node, after ? { node: after.node, port: after.port } : undefined), undefined, [node.id]);
      // Added by a click (or after a node): its panel opens; dropped where wanted: not.
      if (!at) dispatch({ type: "open", node: node.id });
      return node.id;
    },
    [change, flow, viewCenter],
  );

  const addStickyNote = useCallback(() => {
    const doc = stateRef.current.history.present;
    const c = viewCenter();
    const note: StickyNote = { id: newNoteId(doc), text: "", position: { x: Math.round(c.x - STICKY_SIZE.width / 2), y: Math.round(c.y - STICKY_SIZE.height / 2) }, color: "yellow" };
    change((d) => addNote(d, note), undefined, [noteFlowId(note.id)]);
  }, [change, viewCenter]);

  const tidy = useCallback(() => {
    const doc = stateRef.current.history.present;
    if (doc.nodes.length === 0) return;
    const sizes = new Map<string, Size>();
    for (const n of doc.nodes) {
      const m = flow.getInternalNode(n.id)?.measured;
      if (m?.width && m.height) sizes.set(n.id, { width: m.width, height: m.height });
    }
    const xs = doc.nodes.map((n) => n.position?.x ?? 0);
    const ys = doc.nodes.map((n) => n.position?.y ?? 0);
    const positions = tidyLayout(doc.nodes, doc.connections, sizes, { x: Math.min(...xs), y: Math.min(...ys) });
    change((d) => moveElements(d, positions), "tidy");
    setTimeout(() => void flow.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }), 50);
  }, [change, flow]);

  const copy = useCallback((): string | null => {
    const s = stateRef.current;
    const ids = [...s.selected];
    const text = copySelection(s.history.present, ids.filter((i) => !isNoteFlowId(i)), ids.filter(isNoteFlowId).map(noteIdOf));
    if (text) clipboard.current = text;
    return text;
  }, []);

  const paste = useCallback((text: string | null | undefined): boolean => {
    const snippet = text ? parseSnippet(text) : null;
    if (!snippet) return false;
    dispatch({ type: "paste", snippet, at: pointer.current ?? undefined });
    return true;
  }, []);

  const { view, restore, viewing, setViewing, versionBusy, versionError } = useVersionView(id, change, setNotice);

  const canvas = useMemo(
    () => ({
      onMoved: (positions: Map<string, Position>) => change((d) => moveElements(d, positions), `move:${[...positions.keys()].sort().join(",")}`),
      onResized: (flowId: string, size: { width: number; height: number; position: Position }) =>
        change((d) =>
          updateNote(d, noteIdOf(flowId), {
            width: Math.round(Math.max(40, size.width)),
            height: Math.round(Math.max(40, size.height)),
            position: { x: Math.round(size.position.x), y: Math.round(size.position.y) },
          }),
        ),
      onConnect: (c: DocConnection) => change((d) => connect(d, c)),
      onSelectionChange: (c: { nodes: [string, boolean][]; edges: [string, boolean][] }) => dispatch({ type: "select", nodes: c.nodes, edges: c.edges }),
      onNodeClick: (nodeId: string) => dispatch({ type: "open", node: nodeId }),
      onPaneClick: () => dispatch({ type: "selectOnly", nodes: [] }),
      updateNote: (noteId: string, c: Partial<StickyNote>) => change((d) => updateNote(d, noteId, c), `note:${noteId}`),
      // A rename (with the references it rewrites) is its own undo step.
      replaceNode: (node: DocNode) => {
        const old = stateRef.current.history.present.nodes.find((n) => n.id === node.id);
        const renamed = old !== undefined && nodeName(old) !== nodeName(node);
        change((d) => replaceNodeRenaming(d, node), renamed ? undefined : `node:${node.id}`);
      },
      pin: (nodeId: string, items: Item[] | null) => change((d) => setPinned(d, nodeId, items)),
    }),
    [change],
  );

  const ensureSaved = useCallback(() => save(true), [save]);

  return {
    state,
    stateRef,
    ensureSaved,
    dispatch,
    change,
    run,
    saving,
    running,
    conflict,
    setConflict,
    notice,
    setNotice,
    viewing,
    setViewing,
    versionBusy,
    versionError,
    save,
    reload,
    overwrite,
    runWorkflow,
    test,
    add,
    addStickyNote,
    tidy,
    copy,
    paste,
    clipboard,
    pointer,
    view,
    restore,
    canvas,
    types,
  };
}

export type Editor = ReturnType<typeof useEditor>;
