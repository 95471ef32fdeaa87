import { describe, expect, it } from "vitest";

import { tidyLayout } from "./layout";
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
