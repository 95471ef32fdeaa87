/**
 * A workflow node on the canvas: its type's icon, its name and type, a status badge with the
 * item count during and after a run ("streaming…" while it streams text), and labelled
 * input/output handles (IF's true/false, a switch's rules, merge's in1…inN). Memoised: it
 * re-renders only when its own data changes.
 */
import { Handle, Position, useStore, type NodeProps, type ReactFlowState } from "@xyflow/react";
import { AlertTriangle, Ban, Check, Clock, Loader2, Pin, Plus, Radio, X } from "lucide-react";
import { memo, useState } from "react";

import { handleTop, nodeHeight, NODE_WIDTH, type WorkflowFlowNode } from "../model/graph";
import type { Port } from "../model/ports";
import { formatDuration } from "../../executions/format";
import { useCanvasActions } from "./actions";
import { iconFor } from "./icons";


const STATUS_STYLE: Record<string, { ring: string; label: string }> = {
  running: { ring: "ring-2 ring-sky-500", label: "running" },
  success: { ring: "ring-2 ring-emerald-500", label: "succeeded" },
  error: { ring: "ring-2 ring-red-500", label: "failed" },
  waiting: { ring: "ring-2 ring-amber-500", label: "waiting" },
  skipped: { ring: "", label: "skipped" },
  canceled: { ring: "ring-2 ring-zinc-400", label: "canceled" },
  pending: { ring: "", label: "pending" },
};

function StatusIcon({ status, streaming }: { status: string; streaming?: boolean | undefined }) {
  const cls = "size-3.5";
  if (status === "running" && streaming) return <Radio aria-hidden className={`${cls} animate-pulse`} />;
  if (status === "running") return <Loader2 aria-hidden className={`${cls} animate-spin`} />;
  if (status === "success") return <Check aria-hidden className={cls} />;
  if (status === "error") return <X aria-hidden className={cls} />;
  if (status === "waiting") return <Clock aria-hidden className={cls} />;
  return <Ban aria-hidden className={cls} />;
}

const BADGE_COLOURS: Record<string, string> = {
  running: "bg-sky-600 text-white",
  success: "bg-emerald-600 text-white",
  error: "bg-red-600 text-white",
  waiting: "bg-amber-500 text-zinc-950",
};


const showLabel = (ports: Port[]) => ports.length > 1 || ports.some((p) => p.name !== "main");

/** Below this zoom a node is drawn plainly (no handles, port labels or icon): a big workflow
 * seen whole stays cheap to draw and to drag. Edges still know where the handles are (the
 * graph gives each node its handle boxes). */
export const DETAIL_ZOOM = 0.45;
const plainSelector = (s: ReactFlowState) => s.transform[2] < DETAIL_ZOOM;

function WorkflowNodeView({ id, data, selected }: NodeProps<WorkflowFlowNode>) {
  const { node, meta, inputs, outputs, run, invalid, pinned, readOnly } = data;
  const actions = useCanvasActions();
  const plain = useStore(plainSelector);
  // The "+" buttons exist only on the node under the pointer or selected.
  const [hovered, setHovered] = useState(false);
  const Icon = iconFor(meta?.icon);
  const name = node.name || node.id;
  const status = run ? STATUS_STYLE[run.status] : undefined;
  const height = nodeHeight(inputs.length, outputs.length);
  const border = invalid
    ? "border-red-500 ring-2 ring-red-500"
    : selected
      ? "border-indigo-500 ring-2 ring-indigo-400"
      : `border-zinc-300 dark:border-zinc-600 ${status?.ring ?? ""}`;
  const labelIn = showLabel(inputs);
  const labelOut = showLabel(outputs);
  if (plain) {
    return (
      <div
        className={`flex items-center rounded-lg border bg-white px-3 text-zinc-900 shadow-sm dark:bg-zinc-800 dark:text-zinc-100 ${border} ${node.disabled ? "opacity-60" : ""}`}
        style={{ width: NODE_WIDTH, height }}
        data-status={run?.status}
        data-streaming={run?.streaming || undefined}
        data-invalid={invalid || undefined}
      >
        <span className="mr-2 size-9 shrink-0 rounded-md bg-indigo-100 dark:bg-indigo-900" />
        <span className="truncate text-sm font-medium" data-testid="node-name">
          {name}
        </span>
        {run && <span role="img" className={`absolute -top-2.5 right-2 h-4 w-6 rounded-full ${BADGE_COLOURS[run.status] ?? "bg-zinc-500"}`} aria-label={run.streaming ? "running, streaming output" : (status?.label ?? run.status)} />}
      </div>
    );
  }
  const showAdd = !readOnly && (hovered || selected);
  return (
    <div
      className={`group relative rounded-lg border bg-white text-zinc-900 shadow-sm dark:bg-zinc-800 dark:text-zinc-100 ${border} ${node.disabled ? "opacity-60" : ""}`}
      style={{ width: NODE_WIDTH, height }}
      data-status={run?.status}
      data-streaming={run?.streaming || undefined}
      data-invalid={invalid || undefined}
      title={invalid ? "This node has problems: open it to see them" : undefined}
      onMouseEnter={() => setHovered(true)}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => setHovered(true)}
    >
      <div className={`flex h-full items-center gap-2 py-2 ${labelIn ? "pl-9" : "pl-3"} ${labelOut ? "pr-12" : "pr-3"}`}>
        <span className="flex size-9 shrink-0 items-center justify-center rounded-md bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">
          <Icon aria-hidden className="size-5" />
        </span>
        <span className="min-w-0 flex-1">
          <span className="block truncate text-sm font-medium" data-testid="node-name">
            {name}
          </span>
          <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">{meta?.display_name ?? node.type}</span>
        </span>
      </div>
      {run && (
        <span
          role="img"
          className={`absolute -top-2.5 right-2 inline-flex items-center gap-1 rounded-full px-1.5 py-0.5 text-[11px] font-semibold leading-none tabular-nums ${BADGE_COLOURS[run.status] ?? "bg-zinc-500 text-white"}`}
          aria-label={`${status?.label ?? run.status}${run.streaming ? ", streaming output" : ""}${run.items !== undefined ? `, ${run.items} ${run.items === 1 ? "item" : "items"}` : ""}${run.ms !== undefined ? `, ${formatDuration(run.ms)}` : ""}`}
          data-testid="run-badge"
        >
          <StatusIcon status={run.status} streaming={run.streaming} />
          {run.items !== undefined && run.status !== "running" && <span aria-hidden>{run.items}</span>}
        </span>
      )}
      {run?.streaming && (
        <span aria-hidden className="absolute -bottom-5 left-0 w-full truncate text-center text-[11px] text-sky-700 dark:text-sky-300">
          streaming…
        </span>
      )}
      {run && run.status !== "running" && (run.items !== undefined || run.ms !== undefined) && (
        <span aria-hidden className="absolute -bottom-5 left-0 w-full truncate text-center text-[11px] text-zinc-600 tabular-nums dark:text-zinc-300">
          {run.items !== undefined ? `${run.items} ${run.items === 1 ? "item" : "items"}` : ""}
          {run.ms !== undefined ? ` · ${formatDuration(run.ms)}` : ""}
        </span>
      )}
      {(pinned || invalid) && (
        <span className="absolute -top-2.5 left-2 flex gap-1">
          {pinned && (
            <span role="img" aria-label="Output pinned" title="Output pinned" className="inline-flex items-center rounded-full bg-indigo-600 p-0.5 text-white">
              <Pin aria-hidden className="size-3" />
            </span>
          )}
          {invalid && (
            <span role="img" aria-label="Has problems" title="Has problems" className="inline-flex items-center rounded-full bg-red-600 p-0.5 text-white">
              <AlertTriangle aria-hidden className="size-3" />
            </span>
          )}
        </span>
      )}
      {inputs.map((p, i) => (
        <div key={`in-${p.name}`} className="pointer-events-none absolute left-0 -translate-y-1/2" style={{ top: handleTop(i, inputs.length, height) }}>
          <Handle
            type="target"
            position={Position.Left}
            id={p.name}
            isConnectable={!readOnly}
            title={`Input ${p.name}`}
            className={`pointer-events-auto !size-3 !border-2 !border-white dark:!border-zinc-800 ${p.stale ? "!bg-red-500" : "!bg-zinc-500"}`}
          />
          {labelIn && <span className="ml-2 text-[10px] text-zinc-600 dark:text-zinc-300">{p.name}</span>}
        </div>
      ))}
      {outputs.map((p, i) => (
        <div key={`out-${p.name}`} className="pointer-events-none absolute right-0 flex -translate-y-1/2 items-center" style={{ top: handleTop(i, outputs.length, height) }}>
          {labelOut && <span className={`mr-2 max-w-16 truncate text-[10px] ${p.name === "error" || p.stale ? "text-red-700 dark:text-red-300" : "text-zinc-600 dark:text-zinc-300"}`}>{p.name}</span>}
          <Handle
            type="source"
            position={Position.Right}
            id={p.name}
            isConnectable={!readOnly}
            title={`Output ${p.name}`}
            className={`pointer-events-auto !size-3 !border-2 !border-white dark:!border-zinc-800 ${p.stale ? "!bg-red-500" : "!bg-zinc-500"}`}
          />
          {showAdd && !p.stale && (
            <button
              type="button"
              aria-label={`Add after ${name}${outputs.length > 1 ? ` (output ${p.name})` : ""}`}
              title="Add a node after this one"
              onClick={(e) => {
                e.stopPropagation();
                actions.addAfter(id, p.name);
              }}
              className="nodrag pointer-events-auto absolute -right-8 flex size-5 items-center justify-center rounded-full border border-zinc-300 bg-white text-zinc-600 hover:border-indigo-500 hover:text-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-zinc-600 dark:bg-zinc-800 dark:text-zinc-300"
            >
              <Plus aria-hidden className="size-3.5" />
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

export const WorkflowNode = memo(WorkflowNodeView);
