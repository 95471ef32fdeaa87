import { describe, expect, it } from "vitest";

import { nodeType, NODE_TYPES } from "./fixtures/nodeTypes";
import { deref, emptyValue, humanise, isExpression, objectFields, type FieldSpec } from "./paramSchema";

function fields(type: string, path = "params"): Record<string, FieldSpec> {
  const t = nodeType(type);
  const specs = objectFields(t.params_schema, path, { root: t.params_schema, nodeType: type });
  return Object.fromEntries(specs.map((s) => [s.name, s]));
}

describe("params schema → fields (real schemas from the registry)", () => {
  it("covers every installed node type without throwing, each field with a kind", () => {
    expect(NODE_TYPES.length).toBeGreaterThan(10);
    for (const t of NODE_TYPES) {
      for (const f of objectFields(t.params_schema, "params", { root: t.params_schema, nodeType: t.type })) {
        expect(f.kind, `${t.type}.${f.name}`).toBeTruthy();
        expect(f.path).toBe(`params.${f.name}`);
      }
    }
  });

  it("reads core.http_request: text, select with default, string map, JSON, integration, number, boolean, nested object", () => {
    const f = fields("core.http_request");
    expect(f.url).toMatchObject({ kind: "text", required: true, expressions: true });
    expect(f.method).toMatchObject({ kind: "select", hasDefault: true, default: "GET", required: false });
    expect(f.method!.options).toContain("POST");
    expect(f.headers!.kind).toBe("stringMap");
    expect(f.query!.kind).toBe("json");
    expect(f.body!.kind).toBe("json");
    expect(f.integration_id).toMatchObject({ kind: "integration", nullable: true });
    expect(f.timeout_s).toMatchObject({ kind: "number", default: 30 });
    expect(f.follow_redirects).toMatchObject({ kind: "boolean", default: true });
    expect(f.pagination).toMatchObject({ kind: "object", nullable: true });
    expect(f.max_response_bytes).toMatchObject({ kind: "integer", nullable: true });
  });

  it("reads core.code: a Python code editor without expressions, a const language", () => {
    const f = fields("core.code");
    expect(f.code).toMatchObject({ kind: "code", language: "python", expressions: false, required: true });
    expect(f.language!.kind).toBe("const");
    expect(f.mode!.kind).toBe("select");
  });

  it("reads lists of objects through $ref (core.switch rules, core.transform sort keys)", () => {
    const sw = fields("core.switch");
    expect(sw.rules).toMatchObject({ kind: "list", required: true });
    expect(sw.rules!.itemSchema?.properties?.output).toBeDefined();
    const tr = fields("core.transform");
    expect(tr.sort_by).toMatchObject({ kind: "list", nullable: true });
    expect(tr.group_by!.kind).toBe("list");
    expect(tr.rename!.kind).toBe("stringMap");
  });

  it("a nullable const is a choice (core.wait resume), a required one is fixed", () => {
    expect(fields("core.wait").resume).toMatchObject({ kind: "select", options: ["webhook"], nullable: true });
    expect(fields("core.code").language).toMatchObject({ kind: "const" });
  });

  it("a condition (boolean or expression) prefers expression mode", () => {
    expect(fields("core.if").condition).toMatchObject({ kind: "boolean", preferExpression: true, required: true });
  });

  it("nested object fields carry their full path", () => {
    const sw = nodeType("core.switch");
    const rule = deref({ $ref: "#/$defs/SwitchRule" }, sw.params_schema);
    const specs = objectFields(rule, "params.rules[0]", { root: sw.params_schema });
    expect(specs.map((s) => s.path)).toEqual(["params.rules[0].output", "params.rules[0].condition"]);
  });

  it("marks secrets (format password / writeOnly / x-secret)", () => {
    const schema = { type: "object", properties: { token: { type: "string", format: "password", writeOnly: true } }, required: ["token"] };
    const [token] = objectFields(schema, "params", { root: schema });
    expect(token).toMatchObject({ kind: "secret", required: true });
  });

  it("a new list element holds its required fields", () => {
    const sw = nodeType("core.switch");
    const rule = deref({ $ref: "#/$defs/SwitchRule" }, sw.params_schema);
    expect(emptyValue(rule, sw.params_schema)).toEqual({ output: "", condition: "" });
    const tr = nodeType("core.transform");
    expect(emptyValue({ $ref: "#/$defs/SortKey" }, tr.params_schema)).toEqual({ field: "" });
  });

  it("knows an expression", () => {
    expect(isExpression("{{ json.a }}")).toBe(true);
    expect(isExpression("hi {% if x %}")).toBe(true);
    expect(isExpression("plain")).toBe(false);
    expect(isExpression(5)).toBe(false);
  });
});

describe("humanise", () => {
  it("capitalises the first word and writes acronyms in capitals", () => {
    expect(humanise("json_schema")).toBe("JSON schema");
    expect(humanise("integration_id")).toBe("Integration ID");
    expect(humanise("url")).toBe("URL");
    expect(humanise("allowed_urls")).toBe("Allowed URLs");
    expect(humanise("timeout_s")).toBe("Timeout s");
    expect(humanise("identity")).toBe("Identity");
  });
});
