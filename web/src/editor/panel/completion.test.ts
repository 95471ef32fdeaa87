import { describe, expect, it } from "vitest";

import type { ExpressionScope } from "../types";
import { completeExpression, lookup, openExpression, parsePath } from "./completion";
import type { ExprFunction } from "./expressionsApi";

const scope: ExpressionScope = {
  json: { id: 7, title: "Crash", user: { name: "Ada", "e-mail": "ada@example.com" }, tags: [{ label: "bug" }] },
  nodes: { Fetch: { json: { status: 200, body: { ok: true } } }, "Set fields": { json: { total: 3 } } },
  trigger: { body: { title: "Crash" }, headers: {} },
  vars: { region: "eu" },
};

const functions: ExprFunction[] = [
  { name: "upper", kind: "filter", group: "text", signature: "value | upper", description: "Upper case", examples: [{ expression: "{{ 'a' | upper }}", result: "A" }] },
  { name: "default", kind: "filter", signature: "value | default(x)" },
  { name: "date", kind: "filter" },
  { name: "uuid", kind: "function", signature: "uuid()", description: "A random UUID" },
  { name: "today", kind: "variable" },
];

function labels(before: string) {
  return completeExpression(before, scope, functions)?.options.map((o) => o.label) ?? null;
}

describe("expression autocomplete", () => {
  it("completes nothing outside {{ }}", () => {
    expect(completeExpression("json.", scope, functions)).toBeNull();
    expect(completeExpression("{{ json.id }} json.", scope, functions)).toBeNull();
  });

  it("offers the scope's names and the library's functions at the start", () => {
    const r = completeExpression("{{ ", scope, functions)!;
    expect(r.from).toBe(3);
    const names = r.options.map((o) => o.label);
    expect(names).toEqual(expect.arrayContaining(["json", "nodes", "trigger", "vars", "uuid", "today"]));
    expect(names).not.toContain("upper");
    expect(r.options.find((o) => o.label === "uuid")).toMatchObject({ apply: "uuid(", type: "function", detail: "uuid()" });
  });

  it("filters names by the typed prefix and replaces from its start", () => {
    const r = completeExpression("Hi {{ tr", scope, functions)!;
    expect(r.options.map((o) => o.label)).toEqual(["trigger"]);
    expect(r.from).toBe("Hi {{ ".length);
  });

  it("completes keys of json from the last run", () => {
    const r = completeExpression("{{ json.", scope, functions)!;
    expect(r.from).toBe("{{ json.".length);
    expect(r.options.map((o) => o.label)).toEqual(["id", "title", "user", "tags"]);
    expect(r.options[0]).toMatchObject({ detail: "7", type: "property" });
    expect(labels("{{ json.ti")).toEqual(["title"]);
  });

  it("goes into nested objects, lists and odd keys", () => {
    expect(labels("{{ json.user.")).toEqual(["name", "e-mail"]);
    const odd = completeExpression("{{ json.user.", scope, functions)!;
    // An odd key replaces the dot with a subscript.
    expect(odd.from).toBe("{{ json.user".length);
    expect(odd.options.find((o) => o.label === "e-mail")!.apply).toBe("['e-mail']");
    expect(odd.options.find((o) => o.label === "name")!.apply).toBe(".name");
    expect(labels("{{ json.tags.")).toEqual(["[0]"]);
    expect(labels("{{ json.tags[0].")).toEqual(["label"]);
  });

  it("completes node names after nodes[' and their data after .json.", () => {
    const r = completeExpression("{{ nodes['", scope, functions)!;
    expect(r.options.map((o) => o.label)).toEqual(["Fetch", "Set fields"]);
    expect(r.options[1]!.apply).toBe("Set fields']");
    expect(labels('{{ nodes["Se')).toEqual(["Set fields"]);
    expect(completeExpression('{{ nodes["Se', scope, functions)!.options[0]!.apply).toBe('Set fields"]');
    expect(completeExpression("{{ nodes[", scope, functions)!.options[0]!.apply).toBe("'Fetch']");
    expect(labels("{{ nodes['Fetch'].")).toEqual(["json"]);
    expect(labels("{{ nodes['Fetch'].json.")).toEqual(["status", "body"]);
    expect(labels("{{ nodes['Fetch'].json.body.")).toEqual(["ok"]);
  });

  it("completes trigger and vars", () => {
    expect(labels("{{ trigger.")).toEqual(["body", "headers"]);
    expect(labels("{{ trigger.body.")).toEqual(["title"]);
    expect(labels("{{ vars.")).toEqual(["region"]);
    expect(labels("{{ item.")).toEqual(["id", "title", "user", "tags"]);
  });

  it("offers filters after |", () => {
    const r = completeExpression("{{ json.title | ", scope, functions)!;
    expect(r.options.map((o) => o.label)).toEqual(["upper", "default", "date"]);
    expect(r.options[0]).toMatchObject({ type: "filter", apply: "upper" });
    expect(r.options[0]!.info).toContain("{{ 'a' | upper }} → \"A\"");
    expect(labels("{{ json.title | d")).toEqual(["default", "date"]);
    expect(labels("{{ json.title|up")).toEqual(["upper"]);
  });

  it("offers nothing for unknown paths, inside strings, or after numbers", () => {
    expect(completeExpression("{{ json.missing.", scope, functions)).toBeNull();
    expect(completeExpression("{{ json.id.", scope, functions)).toBeNull();
    expect(completeExpression("{{ 'json.", scope, functions)).toBeNull();
    expect(completeExpression("{{ 1.", scope, functions)).toBeNull();
  });

  it("works inside a {% %} block and after text and closed expressions", () => {
    expect(labels("{% if json.")).toEqual(["id", "title", "user", "tags"]);
    expect(labels("{{ json.id }} and {{ json.u")).toEqual(["user"]);
    expect(labels("{{ json.id + json.")).toEqual(["id", "title", "user", "tags"]);
  });

  it("copes with an empty scope", () => {
    const empty: ExpressionScope = { nodes: {} };
    expect(completeExpression("{{ json.", empty, [])).toBeNull();
    expect(completeExpression("{{ nodes['", empty, [])).toBeNull();
    expect(completeExpression("{{ x | ", empty, [])).toBeNull();
    expect(completeExpression("{{ ", empty, [])!.options.length).toBeGreaterThan(0);
  });
});

describe("helpers", () => {
  it("finds the open expression", () => {
    expect(openExpression("a {{ b")).toEqual({ start: 4, inner: " b" });
    expect(openExpression("a {{ b }}")).toBeNull();
  });
  it("parses paths and looks them up", () => {
    expect(parsePath("nodes['Set fields'].json.total")).toEqual(["nodes", "Set fields", "json", "total"]);
    expect(parsePath("json.tags[0]")).toEqual(["json", "tags", 0]);
    expect(parsePath("json..x")).toBeNull();
    expect(lookup(scope, ["nodes", "Set fields", "json", "total"])).toBe(3);
    expect(lookup(scope, ["json", "tags", 0, "label"])).toBe("bug");
  });
});
