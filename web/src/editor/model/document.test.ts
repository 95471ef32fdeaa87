import { describe, expect, it } from "vitest";

import {
  addNode,
  connect,
  connectionId,
  makeConnection,
  moveElements,
  newNode,
  noteFlowId,
  removeElements,
  replaceNode,
  setPinned,
  uniqueId,
  uniqueName,
  updateNote,
} from "./document";
import { sampleDoc } from "./testDocs";

describe("document operations", () => {
  it("writes moved positions (rounded) and keeps untouched nodes as they were", () => {
    const doc = sampleDoc();
    const next = moveElements(doc, new Map([["set", { x: 10.4, y: 20.6 }], [noteFlowId("why"), { x: 5, y: 5 }]]));
    expect(next.nodes[2]!.position).toEqual({ x: 10, y: 21 });
    expect(next.nodes[0]).toBe(doc.nodes[0]);
    expect(next.sticky_notes![0]!.position).toEqual({ x: 5, y: 5 });
    expect(moveElements(doc, new Map([["set", { x: 500, y: -80 }]]))).toBe(doc);
  });

  it("connects once, never a node to itself, and writes ports only when not main", () => {
    const doc = sampleDoc();
    expect(connect(doc, { from: "hook", to: "check" })).toBe(doc);
    expect(connect(doc, { from: "set", to: "set" })).toBe(doc);
    const next = connect(doc, makeConnection("route", "big", "noop", "main"));
    expect(next.connections.at(-1)).toEqual({ from: "route", from_output: "big", to: "noop" });
    expect(connectionId(next.connections.at(-1)!)).toBe("route:big->noop:main");
  });

  it("removes nodes with their connections and pinned data, notes and single connections", () => {
    const doc = sampleDoc();
    const next = removeElements(doc, { nodes: ["hook"], notes: ["why"], connections: ["merge:main->route:main"] });
    expect(next.nodes.map((n) => n.id)).toEqual(["check", "set", "noop", "merge", "route"]);
    expect(next.connections.some((c) => c.from === "hook" || c.to === "route")).toBe(false);
    expect(next.connections).toHaveLength(4);
    expect(next.sticky_notes).toEqual([]);
    expect(next.pinned_data).toBeNull();
    expect(removeElements(doc, {})).toBe(doc);
  });

  it("replaces a node, pins and unpins, updates a note", () => {
    const doc = sampleDoc();
    const changed = { ...doc.nodes[1]!, params: { condition: "{{ false }}" } };
    expect(replaceNode(doc, changed).nodes[1]).toBe(changed);
    expect(setPinned(doc, "set", [{ a: 1 }]).pinned_data).toEqual({ hook: [{ body: { title: "Crash" } }], set: [{ a: 1 }] });
    expect(setPinned(doc, "hook", null).pinned_data).toBeNull();
    expect(updateNote(doc, "why", { text: "New", color: "pink" }).sticky_notes![0]).toMatchObject({ id: "why", text: "New", color: "pink" });
  });

  it("makes unique ids and names", () => {
    expect(uniqueId("set", new Set(["set", "set_2"]))).toBe("set_3");
    expect(uniqueId("Hook", new Set())).toBe("Hook");
    expect(uniqueId("HTTP Request!", new Set())).toBe("http_request");
    expect(uniqueName("Set", new Set(["set"]))).toBe("Set 2");
    expect(uniqueName("Set 2", new Set(["Set", "Set 2"]))).toBe("Set 3");
  });

  it("adds a new node of a type, connected after another", () => {
    const doc = sampleDoc();
    const node = newNode(doc, { type: "core.set", display_name: "Set" }, { x: 1.2, y: 3.7 });
    expect(node).toMatchObject({ id: "set_2", name: "Set 2", type: "core.set", position: { x: 1, y: 4 } });
    const next = addNode(doc, node, { node: "route", port: "big" });
    expect(next.connections.at(-1)).toEqual({ from: "route", from_output: "big", to: "set_2" });
  });
});
