/**
 * An execution replayed on a read-only canvas: the workflow version that ran, each node with
 * its status, item count and time, failed nodes in red; clicking a node opens its panel on
 * the Data tab (input and output items, the error). Used by the execution page.
 */
import { useQuery } from "@tanstack/react-query";
import { ReactFlowProvider } from "@xyflow/react";
import { lazy, Suspense, useMemo, useRef, useState } from "react";

import { ErrorMessage } from "../components/ErrorMessage";
import { fetchVersion, useNodeTypes } from "./api";
import { Canvas } from "./canvas/Canvas";
import type { CanvasActions } from "./canvas/actions";
import { docFrom } from "./model/document";
import { graphBuilder } from "./model/graph";
import { withLayout } from "./model/layout";
import { badges, expressionScope, runFromExecution, type ExecutionLike } from "./model/run";
import { typeMap } from "./state";
import type { Item } from "./types";

const NodePanel = lazy(() => import("./panel/NodePanel").then((m) => ({ default: m.NodePanel })));
const NO_ERRORS = {};
const NO_ITEMS: Item[] = [];
const noop = () => undefined;
const ACTIONS: CanvasActions = { addAfter: noop, openNode: noop, updateNote: noop };

export interface ReplayCanvasProps {
  execution: ExecutionLike & { workflow_id?: number | null; workflow_version: number };
}

export function ReplayCanvas({ execution }: ReplayCanvasProps) {
  const workflowId = execution.workflow_id ?? null;
  const version = useQuery({
    queryKey: ["workflows", "version", workflowId, execution.workflow_version],
    queryFn: () => fetchVersion(workflowId!, execution.workflow_version),
    enabled: workflowId !== null,
    staleTime: Infinity,
  });
  const types = useNodeTypes();
  if (workflowId === null) return <p className="text-sm text-zinc-500 dark:text-zinc-400">This run was of a file (wirework run): there is no saved workflow to draw.</p>;
  if (version.error || types.error) return <ErrorMessage error={version.error ?? types.error} title="Could not draw the workflow" />;
  if (!version.data || !types.data) return <p role="status" className="text-sm text-zinc-500 dark:text-zinc-400">Drawing the workflow…</p>;
  return (
    <ReactFlowProvider>
      <Replay execution={execution} document={version.data.document as Record<string, unknown>} types={types.data} workflowId={workflowId} />
    </ReactFlowProvider>
  );
}

function Replay({ execution, document, types: typeList, workflowId }: { execution: ExecutionLike; document: Record<string, unknown>; types: NonNullable<ReturnType<typeof useNodeTypes>["data"]>; workflowId: number }) {
  const doc = useMemo(() => withLayout(docFrom(document)), [document]);
  const types = useMemo(() => typeMap(typeList), [typeList]);
  const run = useMemo(() => runFromExecution(execution, doc.connections), [execution, doc.connections]);
  const [open, setOpen] = useState<string | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const builder = useRef(graphBuilder());
  const runBadges = useMemo(() => badges(run), [run]);
  const graph = useMemo(() => builder.current(doc, types, { run: runBadges, selected, readOnly: true }), [doc, types, runBadges, selected]);
  const triggers = useMemo(() => new Set(typeList.filter((t) => t.group === "trigger").map((t) => t.type)), [typeList]);
  const node = open ? doc.nodes.find((n) => n.id === open) : undefined;
  const scope = useMemo(() => expressionScope(doc, run, open, triggers), [doc, run, open, triggers]);

  return (
    <div className="flex h-[28rem] overflow-hidden rounded-lg border border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-950">
      <div className="relative min-w-0 flex-1">
        <Canvas
          label={`Execution ${execution.id} on the workflow`}
          nodes={graph.nodes}
          edges={graph.edges}
          readOnly
          actions={ACTIONS}
          onNodeClick={(id) => {
            setOpen(id);
            setSelected(new Set([id]));
          }}
          onPaneClick={() => setSelected(new Set())}
          onSelectionChange={(c) =>
            setSelected((s) => {
              const next = new Set(s);
              for (const [id, on] of c.nodes) on ? next.add(id) : next.delete(id);
              return next;
            })
          }
        />
      </div>
      {node && (
        <Suspense fallback={<p role="status" className="w-96 p-4 text-sm text-zinc-500 dark:text-zinc-400">Loading…</p>}>
          <NodePanel
            key={node.id}
            node={node}
            nodeType={types.get(node.type)}
            workflowId={workflowId}
            onChange={noop}
            scope={scope}
            runData={run.nodes.get(node.id)}
            fieldErrors={NO_ERRORS}
            pinned={undefined}
            onPin={noop}
            onTest={async () => undefined}
            sampleInput={NO_ITEMS}
            onClose={() => setOpen(null)}
            readOnly
            initialTab="data"
          />
        </Suspense>
      )}
    </div>
  );
}
