import { describe, expect, it } from "vitest";

import {
  actionsToSpecs,
  emptyRow,
  move,
  rowFromParam,
  rowsToSpecs,
  splitOptions,
  type ParamRow,
  type RowErrors,
} from "./paramRows";

const row = (patch: Partial<ParamRow>): ParamRow => ({ ...emptyRow(), ...patch });

describe("parameter rows", () => {
  it("moves rows and stays put at either end", () => {
    expect(move(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(move(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(move(["a", "b"], 0, -1)).toEqual(["a", "b"]);
    expect(move(["a", "b"], 1, 1)).toEqual(["a", "b"]);
  });

  it("converts each type's default and the options of a select", () => {
    const errors: RowErrors = {};
    const specs = rowsToSpecs(
      [
        row({ name: "base_url", required: true, description: " The API " }),
        row({ name: "timeout", type: "number", default: "30" }),
        row({ name: "verify", type: "boolean", default: "false" }),
        row({ name: "token", type: "password" }),
        row({ name: "region", type: "select", options: "eu, us,, ap ", default: "us" }),
        row({ name: "extra", type: "json", default: '{"a": 1}' }),
      ],
      "parameters",
      errors,
    );
    expect(errors).toEqual({});
    expect(specs).toEqual([
      { name: "base_url", type: "string", required: true, description: "The API" },
      { name: "timeout", type: "number", required: false, description: "", default: 30 },
      { name: "verify", type: "boolean", required: false, description: "", default: false },
      { name: "token", type: "password", required: false, description: "" },
      { name: "region", type: "select", required: false, description: "", options: ["eu", "us", "ap"], default: "us" },
      { name: "extra", type: "json", required: false, description: "", default: { a: 1 } },
    ]);
  });

  it("names every problem by its field", () => {
    const errors: RowErrors = {};
    rowsToSpecs(
      [
        row({ name: "" }),
        row({ name: "1bad" }),
        row({ name: "n", type: "number", default: "abc" }),
        row({ name: "n", type: "json", default: "{" }),
        row({ name: "s", type: "select", options: "", default: "x" }),
      ],
      "parameters",
      errors,
    );
    expect(errors).toEqual({
      "parameters[0].name": "name: required",
      "parameters[1].name": expect.stringContaining("letters, digits") as string,
      "parameters[2].default": "default: not a number",
      "parameters[3].name": "name: n appears twice",
      "parameters[3].default": "default: not valid JSON",
      "parameters[4].options": "options: a select needs at least one",
      "parameters[4].default": "default: not one of the options",
    });
  });

  it("round-trips a stored parameter into a row", () => {
    const r = rowFromParam({ name: "mode", type: "select", required: true, description: "d", default: "b", options: ["a", "b"] });
    expect(r).toMatchObject({ name: "mode", type: "select", required: true, default: "b", options: "a, b" });
    expect(rowFromParam({ name: "x", type: "json", required: false, description: "", default: [1] }).default).toBe("[1]");
    expect(splitOptions(" a ,b,")).toEqual(["a", "b"]);
  });

  it("builds actions with their parameters, checking names", () => {
    const errors: RowErrors = {};
    const specs = actionsToSpecs(
      [
        { key: "1", name: "send", display_name: " Send ", description: "", parameters: [row({ name: "text", required: true })] },
        { key: "2", name: "Bad Name", display_name: "", description: "", parameters: [] },
      ],
      errors,
    );
    expect(specs[0]).toEqual({
      name: "send",
      display_name: "Send",
      description: "",
      parameters: [{ name: "text", type: "string", required: true, description: "" }],
    });
    expect(Object.keys(errors)).toEqual(["actions[1].name"]);
  });
});
