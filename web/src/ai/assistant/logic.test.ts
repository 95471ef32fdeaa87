import { describe, expect, it } from "vitest";

import { draftDiff } from "./draftDiff";
import { builderProblems, fromSchema, toSchema } from "./schemaBuilder";

describe("the JSON Schema builder's model", () => {
  it("round-trips fields, nested objects and arrays of objects", () => {
    const schema = {
      type: "object",
      properties: {
        sentiment: { type: "string", description: "positive or negative" },
        score: { type: "number" },
        author: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
        tags: { type: "array", items: { type: "string" } },
        lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" } } } },
      },
      required: ["sentiment"],
    };
    const fields = fromSchema(schema);
    expect(fields?.map((f) => [f.name, f.type, f.required])).toEqual([
      ["sentiment", "string", true],
      ["score", "number", false],
      ["author", "object", false],
      ["tags", "array", false],
      ["lines", "array", false],
    ]);
    expect(fields?.[4]?.items).toBe("object");
    expect(toSchema(fields!)).toEqual(schema);
  });

  it("refuses what it cannot show, and names empty or repeated field names", () => {
    expect(fromSchema({ type: "object", properties: { a: { enum: ["x"] } } })).toBeNull();
    expect(fromSchema({ type: "object", properties: { a: { type: "string", format: "email" } } })).toBeNull();
    expect(fromSchema({ anyOf: [] })).toBeNull();
    expect(fromSchema(undefined)).toEqual([]);
    const problems = builderProblems([
      { name: "a", type: "string", description: "", required: true },
      { name: "a", type: "string", description: "", required: true },
      { name: "", type: "object", description: "", required: false, fields: [{ name: "", type: "string", description: "", required: false }] },
    ]);
    expect(problems).toEqual(["field a: the name is used twice", "field #3: needs a name", "field #3.#1: needs a name"]);
  });
});

describe("a draft's changes", () => {
  it("lists nodes added, changed, kept and removed", () => {
    const current = {
      nodes: [
        { id: "start", type: "core.manual" },
        { id: "set", type: "core.set", params: { fields: { a: 1 } } },
        { id: "old", type: "core.noop" },
      ],
      connections: [{ from: "start", to: "set" }],
    };
    const draft = {
      nodes: [
        { id: "start", type: "core.manual" },
        { id: "set", type: "core.set", params: { fields: { a: 2 } } },
        { id: "post", name: "Post", type: "slack.post_message" },
      ],
      connections: [
        { from: "start", to: "set" },
        { from: "set", to: "post" },
      ],
    };
    const diff = draftDiff(current, draft);
    expect(diff.rows.map((r) => [r.id, r.change])).toEqual([
      ["start", "same"],
      ["set", "changed"],
      ["post", "added"],
      ["old", "removed"],
    ]);
    expect(diff.connections).toEqual({ before: 1, after: 2 });
    expect(draftDiff(null, draft).rows.every((r) => r.change === "added")).toBe(true);
  });
});
