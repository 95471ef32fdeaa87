/**
 * The side panel of the selected node: parameters (generated from the type's JSON Schema,
 * each field switchable to an expression), node settings, test/pin, and its input and
 * output data. The canvas owns the document; this component only reports changes.
 */
import { AlertTriangle, X } from "lucide-react";
import type React from "react";
import { useCallback, useId, useMemo, useState } from "react";

import { Button, focusRing } from "../../components/ui";
import type { LiveSource } from "../liveStore";
import type {
  DocNode,
  ExpressionScope,
  FieldErrors,
  Item,
  NodeRunData,
  NodeTypeMeta,
} from "../types";
import { PanelContext, pathId, type PanelContextValue } from "./context";
import { DataTab } from "./DataTab";
import { useExpressionFunctions } from "./expressionsApi";
import { ParamsTab } from "./ParamsTab";
import { SettingsForm } from "./SettingsForm";

export interface NodePanelProps {
  node: DocNode;
  /** Undefined when the type is not installed (the panel says so and shows raw JSON params). */
  nodeType: NodeTypeMeta | undefined;
  /** Null for a workflow not saved yet (test runs disabled). */
  workflowId: number | null;
  /** The whole node, changed (params, settings, name, notes…). */
  onChange: (next: DocNode) => void;
  /** Sample data for expression autocomplete and preview. */
  scope: ExpressionScope;
  /** The node's data from the last or live execution, if any. */
  runData: NodeRunData | undefined;
  /** The text nodes stream during a live run (the Data tab shows this node's as it comes). */
  live?: LiveSource | undefined;
  /** The execution the run data comes from ("Explain this error" asks about its step). */
  executionId?: string | undefined;
  /** Server validation errors for this node, by field path. */
  fieldErrors: FieldErrors;
  /** The node's pinned output items, if pinned. */
  pinned: Item[] | undefined;
  /** Pin these items as the node's output (null unpins). */
  onPin: (items: Item[] | null) => void;
  /** Test this node alone on the given input items (the editor saves first if needed). */
  onTest: (items: Item[]) => Promise<void>;
  /** Input items a test would use by default (upstream pinned data or last run output). */
  sampleInput: Item[];
  onClose: () => void;
  /** An editor-provided section shown above the parameters (e.g. a webhook's URLs). */
  extra?: React.ReactNode;
  /** Nothing can be changed (the execution replay): no edits, no pin, no test. */
  readOnly?: boolean;
  /** The tab shown first (default: parameters). */
  initialTab?: PanelTab;
  /** The other nodes' names (a rename to one of them is refused). */
  otherNames?: ReadonlySet<string>;
}

export type PanelTab = "parameters" | "settings" | "data";
const TABS: { key: PanelTab; label: string }[] = [
  { key: "parameters", label: "Parameters" },
  { key: "settings", label: "Settings" },
  { key: "data", label: "Data" },
];
const SETTINGS_FIELDS = /^(name|disabled|notes|timeout_s|retry|on_error)\b/;

/** The tab a field path belongs to. */
export function tabOf(path: string): PanelTab {
  return SETTINGS_FIELDS.test(path) ? "settings" : "parameters";
}

const MIN_WIDTH = 320;
const MAX_WIDTH = 960;

export function NodePanel(props: NodePanelProps) {
  const { node, nodeType, fieldErrors, onClose, readOnly = false } = props;
  const base = useId();
  const [tab, setTab] = useState<PanelTab>(props.initialTab ?? "parameters");
  const [width, setWidth] = useState(480);
  const functions = useExpressionFunctions();
  const idFor = useCallback((path: string) => pathId(base, path), [base]);
  const context = useMemo<PanelContextValue>(
    () => ({
      scope: props.scope,
      functions: functions.data?.functions ?? [],
      fieldErrors,
      readOnly,
      root: nodeType?.params_schema ?? {},
      nodeType: node.type,
      params: node.params ?? {},
      idFor,
    }),
    [props.scope, functions.data, fieldErrors, readOnly, nodeType, node.type, node.params, idFor],
  );
  const title = node.name || node.id;
  const streaming = props.runData?.status === "running" && !!props.runData.streaming;
  const errorCount = (t: PanelTab) => Object.keys(fieldErrors).filter((p) => tabOf(p) === t).length;

  function goTo(path: string) {
    setTab(tabOf(path));
    // After the tab's fields are rendered.
    setTimeout(() => document.getElementById(idFor(path))?.focus(), 0);
  }

  return (
    <aside
      aria-label={`Node ${title}`}
      style={{ width }}
      className="relative flex h-full max-w-full shrink-0 flex-col border-l border-zinc-200 bg-white text-zinc-900 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
      onKeyDown={(e) => {
        if (e.key === "Escape" && !e.defaultPrevented) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <ResizeHandle width={width} setWidth={setWidth} />
      <PanelHeader title={title} node={node} nodeType={nodeType} readOnly={readOnly} onClose={onClose} />
      <div role="tablist" aria-label="Node panel sections" className="flex gap-1 border-b border-zinc-200 px-3 dark:border-zinc-800">
        {TABS.map((t, i) => (
          <TabButton key={t.key} base={base} tab={t} active={tab === t.key} errors={t.key === "data" ? 0 : errorCount(t.key)} onSelect={setTab} index={i} live={t.key === "data" && streaming} />
        ))}
      </div>
      <PanelContext.Provider value={context}>
        <div className="flex-1 space-y-4 overflow-y-auto p-3">
          <ErrorSummary fieldErrors={fieldErrors} onGoTo={goTo} />
          {/* Keyed by node: another node's fields start from its own values, not this one's drafts. */}
          <div key={node.id} role="tabpanel" id={`${base}-panel-${tab}`} aria-labelledby={`${base}-tab-${tab}`} tabIndex={0} className={`space-y-4 rounded ${focusRing}`}>
            {tab === "parameters" && <ParamsTab node={node} nodeType={nodeType} onChange={props.onChange} extra={props.extra} />}
            {tab === "settings" && <SettingsForm node={node} onChange={props.onChange} otherNames={props.otherNames} />}
            {tab === "data" && (
              <DataTab
                nodeName={title}
                runData={props.runData}
                executionId={props.executionId}
                nodeId={node.id}
                pinned={props.pinned}
                onPin={props.onPin}
                onTest={props.onTest}
                sampleInput={props.sampleInput}
                workflowId={props.workflowId}
                readOnly={readOnly}
                hasInputs={(nodeType?.inputs.length ?? 1) > 0}
                live={props.live}
              />
            )}
          </div>
        </div>
      </PanelContext.Provider>
    </aside>
  );
}

function PanelHeader(props: { title: string; node: DocNode; nodeType: NodeTypeMeta | undefined; readOnly: boolean; onClose: () => void }) {
  const { title, node, nodeType, readOnly, onClose } = props;
  return (
    <header className="flex items-start gap-2 border-b border-zinc-200 p-3 dark:border-zinc-800">
      <div className="min-w-0 flex-1">
        <h2 className="truncate text-base font-semibold">{title}</h2>
        <p className="truncate text-xs text-zinc-500 dark:text-zinc-400">
          {nodeType ? nodeType.display_name : "Unknown type"} · <code>{node.type}</code>
          {node.disabled ? " · disabled" : ""}
          {readOnly ? " · read-only" : ""}
        </p>
      </div>
      <Button variant="ghost" className="px-1.5" aria-label="Close the node panel" onClick={onClose}>
        <X aria-hidden className="size-4" />
      </Button>
    </header>
  );
}

function TabButton(props: { base: string; tab: { key: PanelTab; label: string }; active: boolean; errors: number; index: number; onSelect: (t: PanelTab) => void; live?: boolean }) {
  const { base, tab, active, errors, index, onSelect, live } = props;
  function onKeyDown(e: React.KeyboardEvent) {
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    const target = moves[e.key];
    if (target === undefined) return;
    e.preventDefault();
    const next = TABS[(target + TABS.length) % TABS.length]!;
    onSelect(next.key);
    document.getElementById(`${base}-tab-${next.key}`)?.focus();
  }
  return (
    <button
      type="button"
      role="tab"
      id={`${base}-tab-${tab.key}`}
      aria-selected={active}
      // The name starts with the visible text ("Settings 1"), then says what the count is.
      aria-label={errors > 0 ? `${tab.label} ${errors} ${errors === 1 ? "error" : "errors"}` : undefined}
      aria-controls={`${base}-panel-${tab.key}`}
      tabIndex={active ? 0 : -1}
      onClick={() => onSelect(tab.key)}
      onKeyDown={onKeyDown}
      className={`-mb-px border-b-2 px-3 py-2 text-sm ${focusRing} ${
        active ? "border-indigo-600 font-medium text-indigo-700 dark:text-indigo-300" : "border-transparent text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100"
      }`}
    >
      {tab.label}
      {/* The node streams text right now: its Data tab shows it as it comes. */}
      {live && <span aria-hidden title="Streaming output" className="ml-1 inline-block size-2 animate-pulse rounded-full bg-sky-500 align-middle" />}
      {errors > 0 && (
        <>
          {" "}
          <span className="rounded-full bg-red-600 px-1.5 text-xs text-white">{errors}</span>
        </>
      )}
    </button>
  );
}

function ErrorSummary({ fieldErrors, onGoTo }: { fieldErrors: FieldErrors; onGoTo: (path: string) => void }) {
  const entries = Object.entries(fieldErrors);
  if (entries.length === 0) return null;
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
      <p className="flex items-center gap-2 font-medium">
        <AlertTriangle aria-hidden className="size-4" />
        {entries.length === 1 ? "This node has a problem:" : `This node has ${entries.length} problems:`}
      </p>
      <ul className="mt-1 space-y-0.5 pl-6">
        {entries.map(([path, message]) => (
          <li key={path}>
            <button type="button" className={`text-left underline ${focusRing}`} onClick={() => onGoTo(path)}>
              <code className="font-mono">{path}</code>
            </button>
            : {message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The panel's left edge: drag it, or focus it and use the arrow keys, to change the width. */
function ResizeHandle({ width, setWidth }: { width: number; setWidth: (w: number) => void }) {
  const clamp = (w: number) => Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.round(w)));
  function onPointerDown(e: React.PointerEvent) {
    const startX = e.clientX;
    const startWidth = width;
    const move = (ev: PointerEvent) => setWidth(clamp(startWidth + (startX - ev.clientX)));
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }
  return (
    <div
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the node panel"
      aria-valuenow={width}
      aria-valuemin={MIN_WIDTH}
      aria-valuemax={MAX_WIDTH}
      tabIndex={0}
      onPointerDown={onPointerDown}
      onKeyDown={(e) => {
        const step = e.shiftKey ? 80 : 20;
        if (e.key === "ArrowLeft") setWidth(clamp(width + step));
        else if (e.key === "ArrowRight") setWidth(clamp(width - step));
        else return;
        e.preventDefault();
      }}
      className={`absolute inset-y-0 left-0 z-20 w-1.5 -translate-x-1/2 cursor-col-resize hover:bg-indigo-400/50 ${focusRing}`}
    />
  );
}
