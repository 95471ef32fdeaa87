/**
 * The workflow editor (full screen, `/workflows/:id`): the canvas with its palette, the node
 * panel, the toolbar (save, run, activate, versions, settings), keyboard shortcuts, live run
 * status, and a guard against leaving with unsaved changes.
 */
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useBlocker, useParams } from "react-router";

import { useMe } from "../auth/session";
import { ErrorMessage } from "../components/ErrorMessage";
import { setActive, useNodeTypes, useWorkflow, type WorkflowOut } from "./api";
import { Canvas } from "./canvas/Canvas";
import type { CanvasActions } from "./canvas/actions";
import { Palette } from "./canvas/Palette";
import { badges } from "./model/run";
import { graphBuilder } from "./model/graph";
import { PanelHost } from "./PanelHost";
import { runCommand } from "./commands";
import { EditorDialogs, type DialogName } from "./EditorDialogs";
import type { Command } from "./shortcuts";
import { isDirty, typeMap } from "./state";
import { Toolbar } from "./Toolbar";
import type { NodeTypeMeta } from "./types";
import { useEditor } from "./useEditor";
import { useKeyboard } from "./useKeyboard";
import { useTestWebhook } from "./useTestWebhook";
import { RunSummary } from "./RunSummary";
import { Banners } from "./Banners";

export function EditorPage() {
  const { id = "" } = useParams();
  const workflowId = Number(id);
  const valid = Number.isInteger(workflowId) && workflowId > 0;
  const workflow = useWorkflow(valid ? workflowId : 0);
  const types = useNodeTypes();
  if (!valid) return <FullScreenMessage>Unknown workflow “{id}”.</FullScreenMessage>;
  const error = workflow.error ?? types.error;
  if (error) {
    return (
      <FullScreenMessage>
        <ErrorMessage error={error} title="Could not open the workflow" />
      </FullScreenMessage>
    );
  }
  if (!workflow.data || !types.data) {
    return (
      <FullScreenMessage>
        <span role="status">Loading the workflow…</span>
      </FullScreenMessage>
    );
  }
  return (
    <ReactFlowProvider>
      <Editor key={workflow.data.id} workflow={workflow.data} types={types.data} />
    </ReactFlowProvider>
  );
}

function FullScreenMessage({ children }: { children: React.ReactNode }) {
  return <main className="flex h-screen items-center justify-center p-8 text-sm text-zinc-600 dark:text-zinc-300">{children}</main>;
}

type PaletteState = { after: { node: string; port: string } | null } | null;

function Editor({ workflow, types: typeList }: { workflow: WorkflowOut; types: NodeTypeMeta[] }) {
  const types = useMemo(() => typeMap(typeList), [typeList]);
  const editor = useEditor(workflow, types);
  const { state, dispatch, canvas, run, viewing } = editor;
  const doc = state.history.present;
  const shown = viewing?.doc ?? doc;
  // Viewers see everything and change nothing (the server would refuse it anyway).
  const viewer = useMe().data?.role === "viewer";
  const readOnly = viewing !== null || viewer;
  const dirty = isDirty(state);
  const [palette, setPalette] = useState<PaletteState>(null);
  const [dialog, setDialog] = useState<DialogName>(null);
  const [activeBusy, setActiveBusy] = useState(false);
  const webhook = useTestWebhook(workflow.id, editor.ensureSaved, run.follow);
  const flow = useReactFlow();
  const fitView = useCallback(() => flow.fitView({ padding: 0.2, maxZoom: 1, duration: 200 }), [flow]);

  // The graph: stable objects for unchanged parts (one builder per canvas).
  const builder = useRef(graphBuilder());
  const runBadges = useMemo(() => badges(run.run), [run.run]);
  const invalid = useMemo(() => new Set(state.errors.keys()), [state.errors]);
  const graph = useMemo(
    () => builder.current(shown, types, { selected: state.selected, selectedEdges: state.selectedEdges, run: runBadges, invalid, readOnly }),
    [shown, types, state.selected, state.selectedEdges, runBadges, invalid, readOnly],
  );

  const actions = useMemo<CanvasActions>(
    () => ({
      addAfter: (node, port) => setPalette({ after: { node, port } }),
      openNode: (node) => dispatch({ type: "open", node }),
      updateNote: canvas.updateNote,
    }),
    [canvas, dispatch],
  );

  const pick = useCallback(
    (type: NodeTypeMeta) => {
      editor.add(type, undefined, palette?.after ?? null);
      setPalette(null);
    },
    [editor, palette],
  );
  const drop = useCallback(
    (typeName: string, at: { x: number; y: number }) => {
      const type = types.get(typeName);
      if (type) editor.add(type, at);
    },
    [editor, types],
  );

  const toggleActive = useCallback(async () => {
    setActiveBusy(true);
    try {
      if (!state.active && !(await editor.ensureSaved())) return;
      const out = await setActive(workflow.id, !state.active);
      dispatch({ type: "active", active: out.active });
      editor.setNotice({ kind: "ok", text: out.active ? "Active: its triggers (webhooks, schedules) now run it." : "Inactive: its triggers no longer run it." });
    } catch (e) {
      editor.setNotice({ kind: "error", text: state.active ? "Could not deactivate." : "Could not activate.", error: e });
    } finally {
      setActiveBusy(false);
    }
  }, [dispatch, editor, state.active, workflow.id]);

  // Keyboard use: opening a node's panel with Enter takes the focus into it; closing the
  // panel gives it back to the node (when it was in the panel or nowhere).
  const openFromKeyboard = useCallback(
    (node: string) => {
      dispatch({ type: "open", node });
      focusWhenShown('[data-editor-panel] [role="tab"][aria-selected="true"]');
    },
    [dispatch],
  );
  const closePanel = useCallback(() => {
    const node = state.open;
    const active = document.activeElement;
    const fromPanel = !active || active === document.body || !!active.closest("[data-editor-panel]");
    dispatch({ type: "open", node: null });
    if (node && fromPanel) focusWhenShown(`.react-flow__node[data-id="${node}"]`);
  }, [dispatch, state.open]);

  const command = useCallback(
    (c: Command) =>
      runCommand(c, {
        readOnly,
        editor,
        fitView,
        closePanelOrPalette: () => {
          if (palette) setPalette(null);
          else if (state.open) closePanel();
          else return false;
          return true;
        },
        openPalette: () => setPalette({ after: null }),
        help: () => setDialog("help"),
      }),
    [editor, palette, readOnly, state.open, fitView, closePanel],
  );

  useKeyboard({
    run: command,
    copy: editor.copy,
    cut: () => dispatch({ type: "deleteSelection" }),
    paste: (text) => !readOnly && editor.paste(text),
    lastCopied: () => editor.clipboard.current,
    openNode: openFromKeyboard,
    enabled: dialog === null,
  });
  const blocker = useUnsavedGuard(dirty);

  const openNode = state.open;
  const panelDoc = shown;
  return (
    <div className="flex h-screen flex-col bg-zinc-50 text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100">
      <Toolbar
        workflowId={workflow.id}
        name={shown.name}
        onName={(name) => editor.change((d) => ({ ...d, name }), "name")}
        dirty={dirty}
        version={state.version}
        saving={editor.saving}
        running={editor.running || (!!run.run && !run.run.done)}
        active={state.active}
        activeBusy={activeBusy}
        readOnly={readOnly}
        canUndo={state.history.past.length > 0}
        canRedo={state.history.future.length > 0}
        paletteOpen={palette !== null}
        onSave={() => void editor.save()}
        onRun={() => void editor.runWorkflow()}
        onToggleActive={() => void toggleActive()}
        onUndo={() => dispatch({ type: "undo" })}
        onRedo={() => dispatch({ type: "redo" })}
        onPalette={() => setPalette((p) => (p ? null : { after: null }))}
        onNote={editor.addStickyNote}
        onTidy={editor.tidy}
        onFit={() => void fitView()}
        onVersions={() => setDialog("versions")}
        onSettings={() => setDialog("settings")}
        onHelp={() => setDialog("help")}
        onDescribe={() => setDialog("describe")}
      />
      <Banners editor={editor} viewer={viewer} onBackToEditing={() => editor.setViewing(null)} />
      <div className="flex min-h-0 flex-1">
        {palette && !readOnly && <Palette types={typeList} after={palette.after ? { name: palette.after.node, port: palette.after.port } : null} onPick={pick} onClose={() => setPalette(null)} />}
        <div
          className="relative min-w-0 flex-1"
          onPointerMove={(e) => {
            editor.pointer.current = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
          }}
          onPointerLeave={() => (editor.pointer.current = null)}
        >
          <Canvas
            label={`Workflow ${shown.name}`}
            nodes={graph.nodes}
            edges={graph.edges}
            readOnly={readOnly}
            actions={actions}
            onSelectionChange={canvas.onSelectionChange}
            onMoved={canvas.onMoved}
            onResized={canvas.onResized}
            onConnect={canvas.onConnect}
            onNodeClick={canvas.onNodeClick}
            onPaneClick={canvas.onPaneClick}
            onDropType={drop}
          />
          <RunSummary run={run.run} onClear={run.clear} />
        </div>
        {openNode && (
          <PanelHost
            doc={panelDoc}
            nodeId={openNode}
            types={types}
            workflowId={workflow.id}
            run={run.run}
            live={run.live}
            errors={state.errors.get(openNode)}
            readOnly={readOnly}
            onChange={canvas.replaceNode}
            onPin={canvas.pin}
            onTest={editor.test}
            onClose={closePanel}
            listen={webhook.listen}
            onListen={() => void webhook.start()}
            onStopListening={() => void webhook.stop()}
          />
        )}
      </div>
      <EditorDialogs
        editor={editor}
        dialog={dialog}
        onClose={() => setDialog(null)}
        workflowId={workflow.id}
        blocker={blocker}
        onDraftApplied={() => requestAnimationFrame(() => void fitView())}
      />
    </div>
  );
}

/** Focus the element `selector` finds as soon as it is drawn (the panel loads lazily); gives
 * up after about two seconds. */
function focusWhenShown(selector: string) {
  let frames = 0;
  const step = () => {
    const el = document.querySelector<HTMLElement>(selector);
    if (el) el.focus();
    else if (frames++ < 120) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

/** Leaving with unsaved changes asks first: the browser's own prompt when the tab closes or
 * reloads, ours when a link in the app is followed. */
function useUnsavedGuard(dirty: boolean) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [dirty]);
  return blocker;
}
