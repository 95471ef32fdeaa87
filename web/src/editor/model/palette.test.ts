import { describe, expect, it } from "vitest";

import { NODE_TYPES } from "../panel/fixtures/nodeTypes";
import type { NodeTypeMeta } from "../types";
import { flatten, matchScore, paletteSections } from "./palette";

const acme: NodeTypeMeta = {
  type: "acme_crm.create_contact",
  display_name: "Create contact",
  description: "Add a contact to Acme CRM",
  group: "action",
  category: "Acme CRM",
  icon: "building",
  inputs: ["main"],
  outputs: ["main"],
  params_schema: {},
};
const ai: NodeTypeMeta = { ...acme, type: "ai.chat", display_name: "Chat model", description: "", category: "AI" };
const TYPES = [...NODE_TYPES, acme, ai];

describe("palette", () => {
  it("groups by category in the palette's order, names sorted", () => {
    const sections = paletteSections(TYPES);
    const categories = sections.map((s) => s.category);
    expect(categories.slice(0, 4)).toEqual(["Triggers", "Flow", "Data", "Network"]);
    expect(categories.at(-1)).toBe("AI");
    // Between them, one section per integration (its display name), in name order.
    const services = categories.slice(4, -1);
    expect(services).toEqual([...services].sort((a, b) => a.localeCompare(b)));
    expect(services).toEqual(expect.arrayContaining(["Acme CRM", "AWS", "Azure", "GitHub", "Jira", "PostgreSQL", "Slack"]));
    const triggers = sections[0]!.types.map((t) => t.type);
    expect(triggers).toContain("core.webhook");
    expect(triggers).toEqual([...triggers].sort((a, b) => TYPES.find((t) => t.type === a)!.display_name.localeCompare(TYPES.find((t) => t.type === b)!.display_name)));
  });

  it("searches names first, then types, categories and descriptions; every word must match", () => {
    const found = flatten(paletteSections(TYPES, "web"));
    expect(found[0]!.type).toBe("core.webhook");
    expect(flatten(paletteSections(TYPES, "acme")).map((t) => t.type)).toEqual(["acme_crm.create_contact"]);
    expect(flatten(paletteSections(TYPES, "contact acme")).map((t) => t.type)).toEqual(["acme_crm.create_contact"]);
    expect(paletteSections(TYPES, "zzzz")).toEqual([]);
    expect(matchScore(NODE_TYPES.find((t) => t.type === "core.if")!, "IF")).toBeGreaterThan(matchScore(NODE_TYPES.find((t) => t.type === "core.if")!, "branch"));
  });

  it("leaves out triggers when the node follows another", () => {
    const sections = paletteSections(TYPES, "", { needsInput: true });
    expect(sections.map((s) => s.category)).not.toContain("Triggers");
  });
});
