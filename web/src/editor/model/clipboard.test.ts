import { describe, expect, it } from "vitest";

import { copySelection, parseSnippet, pasteSnippet, renameReferences } from "./clipboard";
import { sampleDoc } from "./testDocs";

describe("clipboard", () => {
  it("copies the selected nodes with their inner connections and pinned data as document JSON", () => {
    const text = copySelection(sampleDoc(), ["hook", "check", "set"], ["why"])!;
    const snippet = JSON.parse(text);
    expect(snippet.nodes.map((n: { id: string }) => n.id)).toEqual(["hook", "check", "set"]);
    expect(snippet.connections).toEqual([
      { from: "hook", to: "check" },
      { from: "check", from_output: "true", to: "set" },
    ]);
    expect(snippet.sticky_notes).toHaveLength(1);
    expect(snippet.pinned_data).toEqual({ hook: [{ body: { title: "Crash" } }] });
    expect(copySelection(sampleDoc(), [])).toBeNull();
  });

  it("pastes with new ids and names on clash, offset, references renamed, selection returned", () => {
    const doc = sampleDoc();
    const snippet = parseSnippet(copySelection(doc, ["check", "set"])!)!;
    const { doc: next, nodeIds } = pasteSnippet(doc, snippet);
    expect(nodeIds).toEqual(["check_2", "set_2"]);
    const pasted = next.nodes.slice(-2);
    expect(pasted.map((n) => n.name)).toEqual(["Check 2", "Set 2"]);
    expect(pasted[0]!.position).toEqual({ x: 290, y: 40 });
    // The Set node read nodes['Check'], which is now "Check 2" in the pasted copy.
    expect(pasted[1]!.params).toEqual({ fields: { a: "{{ nodes['Check 2'].json.x }}" } });
    expect(next.connections.at(-1)).toEqual({ from: "check_2", from_output: "true", to: "set_2" });
    expect(next.nodes).toHaveLength(doc.nodes.length + 2);
  });

  it("pastes at a given place (the snippet's top-left corner goes there)", () => {
    const doc = sampleDoc();
    const snippet = parseSnippet(copySelection(doc, ["set", "noop"])!)!;
    const { doc: next } = pasteSnippet(doc, snippet, { x: 1000, y: 1000 });
    expect(next.nodes.slice(-2).map((n) => n.position)).toEqual([
      { x: 1000, y: 1000 },
      { x: 1000, y: 1160 },
    ]);
  });

  it("pastes plain JSON written by hand: a node, a list of nodes, a whole workflow", () => {
    const one = parseSnippet('{"id": "x", "type": "core.noop"}')!;
    expect(one.nodes).toEqual([{ id: "x", type: "core.noop" }]);
    const list = parseSnippet('[{"type": "core.set", "params": {"fields": {"a": 1}}}, {"type": "core.noop", "id": "n"}]')!;
    expect(list.nodes.map((n) => n.id)).toEqual(["set", "n"]);
    const workflow = parseSnippet(JSON.stringify({ name: "w", nodes: [{ id: "a", type: "core.manual" }], connections: [{ from: "a", to: "b" }] }))!;
    expect(workflow.connections).toEqual([{ from: "a", to: "b" }]);
    const { doc } = pasteSnippet({ name: "empty", nodes: [], connections: [] }, workflow);
    expect(doc.connections).toEqual([]); // "b" is not pasted: the dangling connection is dropped
    expect(doc.nodes[0]).toMatchObject({ id: "a", name: "a" });
  });

  it("refuses text that is not a snippet", () => {
    expect(parseSnippet("hello")).toBeNull();
    expect(parseSnippet('{"name": "no nodes"}')).toBeNull();
    expect(parseSnippet('[{"id": "x"}]')).toBeNull();
    expect(parseSnippet("[]")).toBeNull();
  });

  it("renames node references in strings only where a name is referenced", () => {
    const renames = new Map([["A", "A 2"]]);
    expect(renameReferences({ x: ['{{ nodes["A"].json }}', "{{ nodes['AB'].json }}", 3] }, renames)).toEqual({ x: ['{{ nodes["A 2"].json }}', "{{ nodes['AB'].json }}", 3] });
  });
});
