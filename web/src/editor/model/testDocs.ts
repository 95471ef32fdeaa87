/** Documents and node types the model tests share. */
import { NODE_TYPES } from "../panel/fixtures/nodeTypes";
import type { NodeTypeMeta } from "../types";
import type { WorkflowDoc } from "./document";

export const TYPES: ReadonlyMap<string, NodeTypeMeta> = new Map(NODE_TYPES.map((t) => [t.type, t]));

/** webhook → if → (true) set → merge.in1, (false) noop → merge.in2; a switch with two rules. */
export function sampleDoc(): WorkflowDoc {
  return {
    name: "Sample",
    nodes: [
      { id: "hook", name: "Incoming", type: "core.webhook", params: { path: "bugs" }, position: { x: 0, y: 0 } },
      { id: "check", name: "Check", type: "core.if", params: { condition: "{{ json.ok }}" }, position: { x: 250, y: 0 } },
      { id: "set", name: "Set", type: "core.set", params: { fields: { a: "{{ nodes['Check'].json.x }}" } }, position: { x: 500, y: -80 } },
      { id: "noop", name: "Nothing", type: "core.noop", position: { x: 500, y: 80 } },
      { id: "merge", name: "Merge", type: "core.merge", params: { inputs: 2 }, position: { x: 750, y: 0 } },
      { id: "route", name: "Route", type: "core.switch", params: { rules: [{ output: "big", condition: "{{ 1 }}" }, { output: "small", condition: "{{ 0 }}" }], fallback: "other" }, position: { x: 1000, y: 0 } },
    ],
    connections: [
      { from: "hook", to: "check" },
      { from: "check", from_output: "true", to: "set" },
      { from: "check", from_output: "false", to: "noop" },
      { from: "set", to: "merge", to_input: "in1" },
      { from: "noop", to: "merge", to_input: "in2" },
      { from: "merge", to: "route" },
    ],
    sticky_notes: [{ id: "why", text: "Triage", position: { x: 0, y: -200 }, color: "blue" }],
    pinned_data: { hook: [{ body: { title: "Crash" } }] },
  };
}
