import { describe, expect, it } from "vitest";

import { noteFlowId } from "./document";
import { buildGraph, connectionFromFlow, graphBuilder, type WorkflowFlowNode } from "./graph";
import { sampleDoc, TYPES } from "./testDocs";

describe("document → graph", () => {
  it("makes a node per node, a note node per sticky note and a labelled edge per connection", () => {
    const doc = sampleDoc();
    const graph = buildGraph(doc, TYPES);
    expect(graph.nodes.map((n) => n.id)).toEqual([noteFlowId("why"), "hook", "check", "set", "noop", "merge", "route"]);
    const check = graph.nodes.find((n) => n.id === "check") as WorkflowFlowNode;
    expect(check.position).toEqual({ x: 250, y: 0 });
    expect(check.data.outputs.map((p) => p.name)).toEqual(["true", "false"]);
    const note = graph.nodes[0]!;
    expect(note).toMatchObject({ type: "sticky", position: { x: 0, y: -200 }, width: 240, height: 160, zIndex: -1 });
    const labels = Object.fromEntries(graph.edges.map((e) => [e.id, e.data?.label]));
    expect(labels).toEqual({
      "hook:main->check:main": undefined,
      "check:true->set:main": "true",
      "check:false->noop:main": "false",
      "set:main->merge:in1": "→ in1",
      "noop:main->merge:in2": "→ in2",
      "merge:main->route:main": undefined,
    });
    const edge = graph.edges[1]!;
    expect(edge).toMatchObject({ source: "check", sourceHandle: "true", target: "set", targetHandle: "main" });
    expect((graph.nodes.find((n) => n.id === "hook") as WorkflowFlowNode).data.pinned).toBe(true);
  });

  it("places nodes without a position on a grid", () => {
    const graph = buildGraph({ name: "x", nodes: [{ id: "a", type: "core.noop" }, { id: "b", type: "core.noop" }], connections: [] }, TYPES);
    expect(graph.nodes.map((n) => n.position)).toEqual([{ x: 0, y: 0 }, { x: 280, y: 0 }]);
  });

  it("overlays selection, run badges and invalid nodes; edges carry item counts", () => {
    const doc = sampleDoc();
    const graph = buildGraph(doc, TYPES, {
      selected: new Set(["set"]),
      selectedEdges: new Set(["hook:main->check:main"]),
      run: new Map([["hook", { status: "success", items: 3 }]]),
      invalid: new Set(["merge"]),
    });
    const byId = (id: string) => graph.nodes.find((n) => n.id === id) as WorkflowFlowNode;
    expect(byId("set").selected).toBe(true);
    expect(byId("hook").data.run).toEqual({ status: "success", items: 3 });
    expect(byId("merge").data.invalid).toBe(true);
    expect(graph.edges[0]).toMatchObject({ selected: true, data: { items: 3 } });
  });

  it("hands back the same objects for what did not change", () => {
    const build = graphBuilder();
    const doc = sampleDoc();
    const first = build(doc, TYPES);
    const moved = { ...doc, nodes: doc.nodes.map((n) => (n.id === "set" ? { ...n, position: { x: 1, y: 1 } } : n)) };
    const second = build(moved, TYPES, { run: new Map([["hook", { status: "success", items: 1 }]]) });
    const same = second.nodes.filter((n, i) => n === first.nodes[i]).map((n) => n.id);
    expect(same).toEqual([noteFlowId("why"), "check", "noop", "merge", "route"]);
    expect(second.edges.filter((e, i) => e === first.edges[i])).toHaveLength(5);
    // An equal badge (a new object) keeps the node as it is.
    const third = build(moved, TYPES, { run: new Map([["hook", { status: "success", items: 1 }]]) });
    expect(third.nodes).toEqual(second.nodes);
    expect(third.nodes.every((n, i) => n === second.nodes[i])).toBe(true);
  });

  it("turns a drawn connection into a document connection", () => {
    expect(connectionFromFlow({ source: "check", sourceHandle: "true", target: "merge", targetHandle: "in2" })).toEqual({
      from: "check",
      from_output: "true",
      to: "merge",
      to_input: "in2",
    });
    expect(connectionFromFlow({ source: "a", sourceHandle: null, target: "b", targetHandle: null })).toEqual({ from: "a", to: "b" });
  });
});
