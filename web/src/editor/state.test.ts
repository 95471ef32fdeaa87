import { describe, expect, it } from "vitest";

import { parseSnippet } from "./model/clipboard";
import { noteFlowId, type WorkflowDoc } from "./model/document";
import { sampleDoc } from "./model/testDocs";
import { editorReducer, initState, isDirty, type EditorState } from "./state";

const loaded = () => ({ ...sampleDoc(), version: 3, active: false }) as unknown as Parameters<typeof initState>[0];

function apply(state: EditorState, ...actions: Parameters<typeof editorReducer>[1][]) {
  return actions.reduce(editorReducer, state);
}

describe("editor state", () => {
  it("is dirty after a change, clean after undoing it or saving", () => {
    let s = initState(loaded());
    expect(isDirty(s)).toBe(false);
    s = apply(s, { type: "change", change: (d) => ({ ...d, name: "New" }), key: "name" });
    expect(isDirty(s)).toBe(true);
    expect(isDirty(apply(s, { type: "undo" }))).toBe(false);
    const sent = s.history.present;
    s = apply(s, { type: "saved", workflow: { ...sent, version: 4, active: false } as never, sent });
    expect(isDirty(s)).toBe(false);
    expect(s.version).toBe(4);
    // Unchanged nodes keep their objects (the canvas does not redraw them).
    expect(s.history.present.nodes[0]).toBe(sent.nodes[0]);
  });

  it("keeps edits made while a save was on its way (still unsaved)", () => {
    let s = initState(loaded());
    s = apply(s, { type: "change", change: (d) => ({ ...d, name: "A" }) });
    const sent = s.history.present;
    s = apply(s, { type: "change", change: (d) => ({ ...d, name: "AB" }) });
    s = apply(s, { type: "saved", workflow: { ...sent, version: 4, active: false } as never, sent });
    expect(s.history.present.name).toBe("AB");
    expect(isDirty(s)).toBe(true);
    expect(s.version).toBe(4);
  });

  it("deletes the selection (nodes, notes, connections) in one undo step", () => {
    let s = initState(loaded());
    s = apply(s, { type: "select", nodes: [["set", true], [noteFlowId("why"), true]], edges: [["merge:main->route:main", true]] }, { type: "deleteSelection" });
    const doc: WorkflowDoc = s.history.present;
    expect(doc.nodes.map((n) => n.id)).not.toContain("set");
    expect(doc.sticky_notes).toEqual([]);
    expect(doc.connections.some((c) => c.to === "route")).toBe(false);
    expect(s.selected.size).toBe(0);
    expect(apply(s, { type: "undo" }).history.present.nodes).toHaveLength(6);
  });

  it("selects what it pastes, everything on Ctrl+A, and closes the panel of a deleted node", () => {
    let s = initState(loaded());
    s = apply(s, { type: "paste", snippet: parseSnippet('{"id": "set", "type": "core.set"}')! });
    expect([...s.selected]).toEqual(["set_2"]);
    s = apply(s, { type: "selectAll" });
    expect(s.selected.size).toBe(8);
    s = apply(s, { type: "open", node: "set_2" }, { type: "selectOnly", nodes: ["set_2"] }, { type: "deleteSelection" });
    expect(s.open).toBeNull();
  });

  it("drops a node's server errors once the node changes", () => {
    let s = initState(loaded());
    s = apply(s, { type: "errors", placed: { byNode: new Map<string, Record<string, string>>([["set", { "params.fields": "bad" }], ["check", { "params.condition": "bad" }]]), general: [] } });
    s = apply(s, { type: "change", change: (d) => ({ ...d, nodes: d.nodes.map((n) => (n.id === "set" ? { ...n, params: {} } : n)) }) });
    expect([...s.errors.keys()]).toEqual(["check"]);
  });

  it("lays out a workflow whose nodes were never placed, without counting it as a change", () => {
    const s = initState({ name: "w", nodes: [{ id: "a", type: "core.noop" }, { id: "b", type: "core.noop" }], connections: [{ from: "a", to: "b" }], version: 1, active: false } as never);
    expect(s.history.present.nodes.every((n) => n.position)).toBe(true);
    expect(isDirty(s)).toBe(false);
  });
});
