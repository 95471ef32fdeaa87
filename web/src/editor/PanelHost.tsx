/** The NodePanel of the open node, with what it needs from the editor: the expression scope
 * and the node's data from the last run (or pinned data), its errors, pin and test, and a
 * webhook's URLs. */
import { lazy, Suspense, useCallback, useMemo } from "react";

import type { LiveSource } from "./liveStore";
import type { WorkflowDoc } from "./model/document";
import { otherNames } from "./model/rename";
import { expressionScope, sampleInput, type RunState } from "./model/run";
import type { DocNode, FieldErrors, Item, NodeTypeMeta } from "./types";
import { ChatSection } from "../chat/ChatSection";
import { WebhookSection, type ListenState } from "./WebhookSection";

const NO_ERRORS: FieldErrors = {};

// The panel (with CodeMirror) loads when a node is first opened, not with the canvas.
const NodePanel = lazy(() => import("./panel/NodePanel").then((m) => ({ default: m.NodePanel })));

function PanelLoading() {
  return (
    <aside aria-label="Node panel" className="flex h-full w-[480px] items-center justify-center border-l border-zinc-200 bg-white text-sm text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400">
      <span role="status">Loading…</span>
    </aside>
  );
}

export interface PanelHostProps {
  doc: WorkflowDoc;
  nodeId: string;
  types: ReadonlyMap<string, NodeTypeMeta>;
  workflowId: number;
  run: RunState | null;
  /** The text nodes stream during a live run. */
  live?: LiveSource;
  errors: FieldErrors | undefined;
  readOnly: boolean;
  onChange: (node: DocNode) => void;
  onPin: (nodeId: string, items: Item[] | null) => void;
  onTest: (node: DocNode, items: Item[]) => Promise<void>;
  onClose: () => void;
  listen?: ListenState;
  onListen?: () => void;
  onStopListening?: () => void;
}

export function PanelHost(props: PanelHostProps) {
  const { doc, nodeId, types, run, readOnly, onPin, onTest } = props;
  const node = doc.nodes.find((n) => n.id === nodeId);
  const triggers = useMemo(() => new Set([...types.values()].filter((t) => t.group === "trigger").map((t) => t.type)), [types]);
  const scope = useMemo(() => expressionScope(doc, run, nodeId, triggers), [doc, run, nodeId, triggers]);
  const sample = useMemo(() => sampleInput(doc, run, nodeId), [doc, run, nodeId]);
  const others = useMemo(() => otherNames(doc, nodeId), [doc, nodeId]);
  const pin = useCallback((items: Item[] | null) => onPin(nodeId, items), [onPin, nodeId]);
  const test = useCallback((items: Item[]) => (node ? onTest(node, items) : Promise.resolve()), [onTest, node]);
  if (!node) return null;
  const isWebhook = node.type === "core.webhook";
  return (
    <div data-editor-panel className="h-full">
      <Suspense fallback={<PanelLoading />}>
      <NodePanel
        node={node}
        nodeType={types.get(node.type)}
        workflowId={props.workflowId}
        onChange={props.onChange}
        scope={scope}
        runData={run?.nodes.get(nodeId)}
        live={props.live}
        executionId={run?.executionId}
        fieldErrors={props.errors ?? NO_ERRORS}
        pinned={doc.pinned_data?.[nodeId]}
        onPin={pin}
        onTest={test}
        sampleInput={sample}
        onClose={props.onClose}
        readOnly={readOnly}
        otherNames={others}
        initialTab={readOnly ? "data" : undefined}
        extra={
          isWebhook && !readOnly && props.listen && props.onListen && props.onStopListening ? (
            <WebhookSection node={node} listen={props.listen} canListen onListen={props.onListen} onStop={props.onStopListening} />
          ) : node.type === "ai.chat_trigger" ? (
            <ChatSection workflowId={props.workflowId} />
          ) : undefined
        }
      />
      </Suspense>
    </div>
  );
}
