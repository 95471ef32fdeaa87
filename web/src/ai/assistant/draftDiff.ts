/** What applying a draft changes, node by node: added, removed, changed (type, params,
 * integration or name) or kept as it is; and the connections' count before and after. */
import type { WorkflowDoc } from "../../editor/model/document";
import type { DocNode } from "../../editor/types";

export type NodeChange = "added" | "removed" | "changed" | "same";

export interface DiffRow {
  id: string;
  name: string;
  type: string;
  change: NodeChange;
}

export interface DraftDiff {
  rows: DiffRow[];
  connections: { before: number; after: number };
}

function comparable(node: DocNode): string {
  return JSON.stringify([node.type, node.name ?? node.id, node.integration_id ?? null, node.params ?? {}, node.disabled ?? false]);
}

export function draftDiff(current: Pick<WorkflowDoc, "nodes" | "connections"> | null, draft: Pick<WorkflowDoc, "nodes" | "connections">): DraftDiff {
  const before = new Map((current?.nodes ?? []).map((n) => [n.id, n]));
  const rows: DiffRow[] = draft.nodes.map((node) => {
    const old = before.get(node.id);
    const change: NodeChange = !old ? "added" : comparable(old) === comparable(node) ? "same" : "changed";
    return { id: node.id, name: node.name || node.id, type: node.type, change };
  });
  const kept = new Set(draft.nodes.map((n) => n.id));
  for (const node of current?.nodes ?? []) {
    if (!kept.has(node.id)) rows.push({ id: node.id, name: node.name || node.id, type: node.type, change: "removed" });
  }
  return { rows, connections: { before: current?.connections.length ?? 0, after: draft.connections.length } };
}
