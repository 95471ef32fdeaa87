import { describe, expect, it } from "vitest";

import {
  activeParam,
  documentFormat,
  filterWorkflows,
  readTags,
  sortWorkflows,
  withTags,
  type ListedWorkflow,
} from "./listing";

const wf = (id: number, name: string, active: boolean, created: string, updated: string): ListedWorkflow => ({
  id,
  name,
  active,
  created_at: `2026-11-${created}T10:00:00Z`,
  updated_at: `2026-11-${updated}T10:00:00Z`,
});

const items = [
  wf(1, "Bug report intake", true, "01", "05"),
  wf(2, "order routing", false, "03", "04"),
  wf(3, "Alerts 10", true, "02", "09"),
  wf(4, "Alerts 9", false, "04", "09"),
];

describe("filterWorkflows", () => {
  it("matches part of the name, ignoring case and spaces around", () => {
    expect(filterWorkflows(items, "  ORDER ", "all").map((w) => w.id)).toEqual([2]);
    expect(filterWorkflows(items, "alerts", "all").map((w) => w.id)).toEqual([3, 4]);
  });
  it("filters by status", () => {
    expect(filterWorkflows(items, "", "active").map((w) => w.id)).toEqual([1, 3]);
    expect(filterWorkflows(items, "alerts", "inactive").map((w) => w.id)).toEqual([4]);
    expect(filterWorkflows(items, "nothing", "all")).toEqual([]);
  });
});

describe("sortWorkflows", () => {
  it("by name: case-insensitive and numbers in order", () => {
    expect(sortWorkflows(items, "name").map((w) => w.id)).toEqual([4, 3, 1, 2]);
  });
  it("by last change, newest first, ties by id", () => {
    expect(sortWorkflows(items, "updated").map((w) => w.id)).toEqual([4, 3, 1, 2]);
  });
  it("by creation, newest first", () => {
    expect(sortWorkflows(items, "created").map((w) => w.id)).toEqual([4, 2, 3, 1]);
  });
  it("does not change its input", () => {
    const copy = [...items];
    sortWorkflows(items, "name");
    expect(items).toEqual(copy);
  });
});

describe("import helpers", () => {
  it("maps the status filter to the API's ?active=", () => {
    expect(activeParam("all")).toBeUndefined();
    expect(activeParam("active")).toBe(true);
    expect(activeParam("inactive")).toBe(false);
  });
  it("tells JSON from YAML by file name, else by content", () => {
    expect(documentFormat("name: x", "a.JSON")).toBe("json");
    expect(documentFormat("{}", "a.yml")).toBe("yaml");
    expect(documentFormat('  {"name": "x"}')).toBe("json");
    expect(documentFormat("name: x\nnodes: []")).toBe("yaml");
  });
});

describe("execution input", () => {
  it("is JSON, empty meaning one empty item", async () => {
    const { parseInput } = await import("./ExecuteDialog");
    expect(parseInput("")).toEqual({ value: {} });
    expect(parseInput('[{"a": 1}, {"a": 2}]')).toEqual({ value: [{ a: 1 }, { a: 2 }] });
    expect(parseInput("{oops")).toEqual({ error: expect.stringContaining("input: not valid JSON") });
  });
});

describe("the tag filter", () => {
  it("keeps the workflows having every tag", () => {
    const tagged = [
      { ...items[0]!, tags: ["ops", "billing"] },
      { ...items[1]!, tags: ["ops"] },
      { ...items[2]! },
    ];
    expect(filterWorkflows(tagged, "", "all", ["ops"]).map((w) => w.id)).toEqual([1, 2]);
    expect(filterWorkflows(tagged, "", "all", ["ops", "billing"]).map((w) => w.id)).toEqual([1]);
    expect(filterWorkflows(tagged, "", "all", []).map((w) => w.id)).toEqual([1, 2, 3]);
  });
  it("reads and writes ?tag= in the address, keeping other parameters", () => {
    const params = new URLSearchParams("tag=ops&x=1&tag=%20&tag=ops&tag=a%20b");
    expect(readTags(params)).toEqual(["ops", "a b"]);
    expect(withTags(params, ["z"]).toString()).toBe("x=1&tag=z");
    expect(withTags(params, []).toString()).toBe("x=1");
  });
});
