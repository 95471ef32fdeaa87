import { describe, expect, it } from "vitest";

import type { DocConnection, DocNode } from "../types";
import { tidyLayout, withLayout } from "./layout";
import { sampleDoc } from "./testDocs";

describe("tidy layout", () => {
  it("lays the flow out left to right, each node right of the nodes feeding it", () => {
    const doc = sampleDoc();
    const at = tidyLayout(doc.nodes, doc.connections);
    expect(at.size).toBe(doc.nodes.length);
    for (const c of doc.connections) expect(at.get(c.to)!.x).toBeGreaterThan(at.get(c.from)!.x);
    // The IF's two branches sit in one column, one above the other.
    expect(at.get("set")!.x).toBe(at.get("noop")!.x);
    expect(at.get("set")!.y).not.toBe(at.get("noop")!.y);
    expect(Math.min(...[...at.values()].map((p) => p.x))).toBe(0);
  });

  it("stacks unconnected parts below the biggest one and uses measured sizes", () => {
    const nodes = [
      { id: "a", type: "core.noop" },
      { id: "b", type: "core.noop" },
      { id: "lonely", type: "core.noop" },
    ];
    const at = tidyLayout(nodes, [{ from: "a", to: "b" }], new Map([["a", { width: 300, height: 100 }]]), { x: 10, y: 20 });
    expect(at.get("a")).toEqual({ x: 10, y: 20 });
    expect(at.get("b")!.x).toBeGreaterThanOrEqual(10 + 300);
    expect(at.get("lonely")!.y).toBeGreaterThan(at.get("a")!.y + 100);
  });
});

describe("layout on open", () => {
  it("lays out a document none of whose nodes has a position, and leaves others alone", () => {
    const doc: { nodes: DocNode[]; connections: DocConnection[] } = { nodes: [{ id: "a", type: "core.noop" }, { id: "b", type: "core.noop" }], connections: [{ from: "a", to: "b" }] };
    const laid = withLayout(doc);
    expect(laid.nodes[1]!.position!.x).toBeGreaterThan(laid.nodes[0]!.position!.x!);
    const placed = { ...doc, nodes: [{ ...doc.nodes[0]!, position: { x: 5, y: 5 } }, doc.nodes[1]!] };
    expect(withLayout(placed)).toBe(placed);
  });
});
