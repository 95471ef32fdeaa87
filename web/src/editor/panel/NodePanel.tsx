/**
 * The side panel of the selected node: parameters (generated from the type's JSON Schema,
 * each field switchable to an expression), node settings, test/pin, and its input and
 * output data. The canvas owns the document; this component only reports changes.
 *
 * STUB: the interface is fixed; the body is being written.
 */
import type React from "react";

import type {
  DocNode,
  ExpressionScope,
  FieldErrors,
  Item,
  NodeRunData,
  NodeTypeMeta,
} from "../types";

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
}

export function NodePanel({ node, onClose }: NodePanelProps) {
  return (
    <aside aria-label={`Node ${node.name ?? node.id}`}>
      <h2>{node.name ?? node.id}</h2>
      <button type="button" onClick={onClose}>
        Close
      </button>
    </aside>
  );
}
