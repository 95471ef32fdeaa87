/**
 * The editor's commands over its state: change the document, save (409 and 422 handled),
 * run and follow the run, test a node, add nodes and notes, tidy up, copy and paste, view
 * and restore versions. Every command is a stable function (the canvas never re-renders
 * because a callback changed).
 */
import { useQueryClient } from "@tanstack/react-query";
import { useReactFlow } from "@xyflow/react";
import { useCallback, useMemo, useReducer, useRef, useState } from "react";

import { ApiError } from "../api/errors";
import { executeWorkflow, fetchVersion, fetchWorkflow, saveWorkflow, testNode, workflowKey, type WorkflowOut } from "./api";
import { copySelection, parseSnippet } from "./model/clipboard";
import {
  addNode,
  addNote,
  connect,
  docFrom,
  isNoteFlowId,
  moveElements,
  newNode,
  newNoteId,
  noteFlowId,
  noteIdOf,
  replaceNode,
  setPinned,
  STICKY_SIZE,
  updateNote,
  type Position,
  type StickyNote,
  type WorkflowDoc,
} from "./model/document";
import { tidyLayout, withLayout, type Size } from "./model/layout";
import { placeErrors } from "./model/validation";
import { editorReducer, initState, isDirty, type EditorState } from "./state";
import type { DocConnection, DocNode, Item, NodeTypeMeta } from "./types";
import { useRun } from "./useRun";

export type Notice = { kind: "ok" | "error"; text: string; error?: unknown } | null;

export interface Viewing {
  version: number;
  doc: WorkflowDoc;
}

export function useEditor(workflow: WorkflowOut, types: ReadonlyMap<string, NodeTypeMeta>) {
  const id = workflow.id;
  const [state, dispatch] = useReducer(editorReducer, workflow, initState);
  const stateRef = useRef<EditorState>(state);
  stateRef.current = state;
  const flow = useReactFlow();
  const client = useQueryClient();
  const run = useRun(() => stateRef.current.history.present.connections);
  const { follow, showTest } = run;
  const [saving, setSaving] = useState(false);
  const [running, setRunning] = useState(false);
  const [conflict, setConflict] = useState(false);
  const [notice, setNotice] = useState<Notice>(null);
  const [viewing, setViewing] = useState<Viewing | null>(null);
  const [versionBusy, setVersionBusy] = useState(false);
  const [versionError, setVersionError] = useState<unknown>(null);
  const clipboard = useRef<string | null>(null);
  const pointer = useRef<Position | null>(null);
  const savingRef = useRef<Promise<boolean> | null>(null);

  const change = useCallback((fn: (doc: WorkflowDoc) => WorkflowDoc, key?: string, select?: string[]) => {
    dispatch({ type: "change", change: fn, key, ...(select ? { select } : {}) });
  }, []);

  const afterSave = useCallback(
    (out: WorkflowOut, sent: WorkflowDoc) => {
      dispatch({ type: "saved", workflow: out as never, sent });
      client.setQueryData(workflowKey(id), out);
      void client.invalidateQueries({ queryKey: ["workflows"], predicate: (q) => q.queryKey[1] !== "one" });
    },
    [client, id],
  );

  /** Save when there are changes (`quiet`: no message when there are none: a step before
   * running or listening). */
  const save = useCallback(async (quiet = false): Promise<boolean> => {
    if (savingRef.current) return savingRef.current;
    const s = stateRef.current;
    if (!isDirty(s)) {
      if (!quiet) setNotice({ kind: "ok", text: `Nothing to save: version ${s.version} is current.` });
      return true;
    }
    const sent = s.history.present;
    const attempt = (async () => {
      setSaving(true);
      try {
        const out = await saveWorkflow(id, sent, s.version);
        afterSave(out, sent);
        setNotice({ kind: "ok", text: `Saved as version ${out.version}.` });
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) setConflict(true);
        else if (e instanceof ApiError && e.status === 422) {
          const placed = placeErrors(e.errors, sent);
          dispatch({ type: "errors", placed });
          const where = placed.byNode.size ? ` Nodes with problems are outlined in red: ${[...placed.byNode.keys()].join(", ")}.` : "";
          setNotice({ kind: "error", text: `Not saved: the workflow has problems.${where}`, error: placed.general.length ? e : null });
          const first = [...placed.byNode.keys()][0];
          if (first && !stateRef.current.open) dispatch({ type: "open", node: first });
        } else setNotice({ kind: "error", text: "Not saved.", error: e });
        return false;
      } finally {
        setSaving(false);
        savingRef.current = null;
      }
    })();
    savingRef.current = attempt;
    return attempt;
  }, [id, afterSave]);

  const reload = useCallback(async () => {
    const out = await fetchWorkflow(id);
    client.setQueryData(workflowKey(id), out);
    dispatch({ type: "loaded", workflow: out as never });
    setConflict(false);
    setNotice({ kind: "ok", text: `Reloaded version ${out.version}.` });
  }, [client, id]);

  /** Save over a newer version (after a 409): the newest version number, then save. */
  const overwrite = useCallback(async () => {
    const latest = await fetchWorkflow(id);
    const sent = stateRef.current.history.present;
    try {
      const out = await saveWorkflow(id, sent, latest.version);
      afterSave(out, sent);
      setConflict(false);
      setNotice({ kind: "ok", text: `Saved over the newer version as version ${out.version}.` });
    } catch (e) {
      setConflict(false);
      setNotice({ kind: "error", text: "Not saved.", error: e });
    }
  }, [afterSave, id]);

  const runWorkflow = useCallback(async () => {
    setRunning(true);
    try {
      if (!(await save(true))) return;
      const started = await executeWorkflow(id);
      follow(started.id);
      setNotice(null);
    } catch (e) {
      setNotice({ kind: "error", text: "Could not run the workflow.", error: e });
    } finally {
      setRunning(false);
    }
  }, [id, follow, save]);

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

  const view = useCallback(
    async (version: number) => {
      setVersionBusy(true);
      setVersionError(null);
      try {
        const v = await fetchVersion(id, version);
        setViewing({ version, doc: withLayout(docFrom(v.document as Record<string, unknown>)) });
        return true;
      } catch (e) {
        setVersionError(e);
        return false;
      } finally {
        setVersionBusy(false);
      }
    },
    [id],
  );

  const restore = useCallback(
    async (version: number) => {
      setVersionBusy(true);
      setVersionError(null);
      try {
        const v = await fetchVersion(id, version);
        const doc = docFrom(v.document as Record<string, unknown>);
        change(() => doc);
        setViewing(null);
        setNotice({ kind: "ok", text: `Version ${version} restored: save to make it the current version.` });
        return true;
      } catch (e) {
        setVersionError(e);
        return false;
      } finally {
        setVersionBusy(false);
      }
    },
    [change, id],
  );

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
      replaceNode: (node: DocNode) => change((d) => replaceNode(d, node), `node:${node.id}`),
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
