/**
 * A 422's errors placed where they belong: `nodes[i].params.url` on node i's `params.url`
 * field (the panel's `fieldErrors`), anything else (connections, settings, the name) in a
 * list for the editor's error banner.
 */
import type { FieldError } from "../../api/errors";
import type { FieldErrors } from "../types";
import type { WorkflowDoc } from "./document";

export interface PlacedErrors {
  /** Node id → field path relative to the node → message. */
  byNode: Map<string, FieldErrors>;
  /** Errors about no node's field. */
  general: FieldError[];
}

const NODE_PATH = /^(?:body\.)?nodes\[(\d+)\](?:\.(.+))?$/;
const TEST_NODE_PATH = /^(?:body\.)?node(?:\.(.+))?$/;

function add(out: Map<string, FieldErrors>, nodeId: string, path: string, message: string) {
  const errors = out.get(nodeId) ?? {};
  errors[path] = errors[path] ? `${errors[path]}; ${message}` : message;
  out.set(nodeId, errors);
}

/** Place a save's (or validation's) errors. `doc`: the document that was sent (indexes
 * refer to it). `testNodeId`: for a node test's errors (`node.params.url`). */
export function placeErrors(errors: readonly FieldError[], doc: WorkflowDoc, testNodeId?: string): PlacedErrors {
  const byNode = new Map<string, FieldErrors>();
  const general: FieldError[] = [];
  for (const e of errors) {
    const m = NODE_PATH.exec(e.field);
    if (m) {
      const node = doc.nodes[Number(m[1])];
      const id = node?.id ?? e.node_id;
      if (id) {
        add(byNode, id, m[2] ?? "node", e.message);
        continue;
      }
    }
    const t = testNodeId ? TEST_NODE_PATH.exec(e.field) : null;
    if (t && testNodeId) {
      add(byNode, testNodeId, t[1] ?? "node", e.message);
      continue;
    }
    general.push(e);
  }
  return { byNode, general };
}
