import { describe, expect, it } from "vitest";

import { placeErrors } from "./validation";
import { sampleDoc } from "./testDocs";

describe("placing a 422's errors", () => {
  it("puts nodes[i] paths on the node (prefix stripped) and the rest in the general list", () => {
    const placed = placeErrors(
      [
        { field: "nodes[1].params.condition", message: "is required", node_id: "check" },
        { field: "nodes[1].params.condition", message: "bad", node_id: "check" },
        { field: "nodes[4].params.rules[0].output", message: "bad name" },
        { field: "nodes[2]", message: "unknown type" },
        { field: "connections[0].to", message: "unknown node 'x'" },
        { field: "name", message: "is taken" },
      ],
      sampleDoc(),
    );
    expect(Object.fromEntries(placed.byNode)).toEqual({
      check: { "params.condition": "is required; bad" },
      merge: { "params.rules[0].output": "bad name" },
      set: { node: "unknown type" },
    });
    expect(placed.general.map((e) => e.field)).toEqual(["connections[0].to", "name"]);
  });

  it("places a node test's `node.…` errors on the tested node", () => {
    const placed = placeErrors([{ field: "node.params.url", message: "is required" }], sampleDoc(), "set");
    expect(Object.fromEntries(placed.byNode)).toEqual({ set: { "params.url": "is required" } });
  });
});
