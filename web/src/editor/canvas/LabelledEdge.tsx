/** A connection: a bezier curve with its port label (IF's true/false, merge's in2…) and,
 * after a run, how many items went along it. Memoised. */
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps } from "@xyflow/react";
import { memo } from "react";

import type { EditorEdge } from "../model/graph";

function LabelledEdgeView(props: EdgeProps<EditorEdge>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd, id } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const label = data?.label;
  const items = data?.items;
  const text = [label, items !== undefined ? `${items} ${items === 1 ? "item" : "items"}` : null].filter(Boolean).join(" · ");
  const stroke = data?.stale ? "#dc2626" : selected ? "#6366f1" : undefined;
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} style={{ strokeWidth: selected ? 2.5 : 1.5, ...(stroke ? { stroke } : {}) }} interactionWidth={16} />
      {text && (
        <EdgeLabelRenderer>
          <div
            className={`nodrag nopan pointer-events-none absolute rounded px-1 text-[10px] font-medium ${
              selected ? "bg-indigo-100 text-indigo-800 dark:bg-indigo-900 dark:text-indigo-100" : "bg-zinc-100 text-zinc-700 dark:bg-zinc-800 dark:text-zinc-200"
            }`}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-testid="edge-label"
          >
            {text}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const LabelledEdge = memo(LabelledEdgeView);
