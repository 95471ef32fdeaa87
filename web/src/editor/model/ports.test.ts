import { describe, expect, it } from "vitest";

import { firstInput, nodePorts, paramOutputs, typeInputs, typeOutputs } from "./ports";
import { sampleDoc, TYPES } from "./testDocs";

describe("ports", () => {
  it("names IF's outputs, a switch's from its rules and fallback, merge's inputs from its count", () => {
    const doc = sampleDoc();
    const byId = (id: string) => doc.nodes.find((n) => n.id === id)!;
    expect(typeOutputs(byId("check"), TYPES.get("core.if"))).toEqual(["true", "false"]);
    expect(typeOutputs(byId("route"), TYPES.get("core.switch"))).toEqual(["big", "small", "other"]);
    expect(typeInputs({ ...byId("merge"), params: { inputs: 4 } }, TYPES.get("core.merge"))).toEqual(["in1", "in2", "in3", "in4"]);
    expect(typeInputs({ ...byId("merge"), params: {} }, TYPES.get("core.merge"))).toEqual(["in1", "in2"]);
    expect(typeInputs(byId("hook"), TYPES.get("core.webhook"))).toEqual([]);
    expect(paramOutputs({ rules: [{ output: "a" }, { output: "a" }, { output: "" }, "junk"], fallback: null })).toEqual(["a"]);
  });

  it("names ai.classify's outputs from its labels, then its fallback, as the labels change", () => {
    const type = TYPES.get("ai.classify");
    expect(type?.outputs).toBeNull();
    const labels = [{ label: "billing", description: "invoices" }, { label: "bug" }];
    const node = { id: "triage", type: "ai.classify", params: { labels, fallback: "other" } };
    expect(typeOutputs(node, type)).toEqual(["billing", "bug", "other"]);
    expect(typeOutputs({ ...node, params: { labels: [...labels, { label: "question" }] } }, type)).toEqual(["billing", "bug", "question"]);
    expect(typeOutputs({ ...node, params: { labels: [{ label: "" }, "junk", { label: 3 }] } }, type)).toEqual([]);
    const ports = nodePorts([{ ...node, params: { labels: [labels[0]] } }], [{ from: "triage", from_output: "bug", to: "x" }], TYPES);
    expect(ports.get("triage")!.outputs).toEqual([{ name: "billing" }, { name: "bug", stale: true }]);
  });

  it("adds the error output of on_error: error_output, and main for an unknown type", () => {
    const node = { id: "x", type: "core.set", on_error: "error_output" as const };
    expect(typeOutputs(node, TYPES.get("core.set"))).toEqual(["main", "error"]);
    expect(typeOutputs({ id: "y", type: "acme.unknown" }, undefined)).toEqual(["main"]);
    expect(typeInputs({ id: "y", type: "acme.unknown" }, undefined)).toEqual(["main"]);
  });

  it("keeps a port a connection still uses as stale", () => {
    const doc = sampleDoc();
    const ports = nodePorts(doc.nodes, [...doc.connections, { from: "route", from_output: "gone", to: "noop" }], TYPES);
    expect(ports.get("route")!.outputs).toEqual([{ name: "big" }, { name: "small" }, { name: "other" }, { name: "gone", stale: true }]);
    expect(ports.get("merge")!.inputs).toEqual([{ name: "in1" }, { name: "in2" }]);
  });

  it("picks a node's first free input for a drop on its body", () => {
    const doc = sampleDoc();
    const ports = nodePorts(doc.nodes, doc.connections, TYPES);
    expect(firstInput(ports.get("merge"), [doc.connections[3]!], "merge")).toBe("in2");
    expect(firstInput(ports.get("set"), doc.connections, "set")).toBe("main");
  });
});
