import { describe, expect, it } from "vitest";

import { sampleDoc } from "./testDocs";
import { decodeLiteral, encodeLiteral, findReferences, nameProblem, renameAllInText, renameInText, renameInValue, renameNode, replaceNodeRenaming } from "./rename";

describe("findReferences", () => {
  it("finds the three forms the server reads, inside {{ }} and {% %} only", () => {
    const text = `Hi {{ nodes['A'].json.x }} {{ nodes["B c"].items | length }} {% if nodes.D.json %}y{% endif %} nodes['E']`;
    expect(findReferences(text).map((r) => [r.name, r.form])).toEqual([
      ["A", "item"],
      ["B c", "item"],
      ["D", "attribute"],
    ]);
  });

  it("skips attributes named nodes, dynamic lookups, string contents, comments and raw blocks", () => {
    expect(findReferences("{{ json.nodes['A'] }}")).toEqual([]);
    expect(findReferences("{{ nodes[json.which].json }}")).toEqual([]);
    expect(findReferences(`{{ "nodes['A']" ~ 'x }}' }}`)).toEqual([]);
    expect(findReferences("{# nodes['A'] #}{{ 1 }}")).toEqual([]);
    expect(findReferences("{% raw %}{{ nodes['A'] }}{% endraw %}{{ nodes['B'] }}").map((r) => r.name)).toEqual(["B"]);
    expect(findReferences("nodes['A'] without a template")).toEqual([]);
  });

  it("reads whitespace control, spaces around the lookup and escaped quotes", () => {
    expect(findReferences("{{- nodes [ 'A' ] .json -}}").map((r) => r.name)).toEqual(["A"]);
    expect(findReferences("{{ nodes['O\\'Brien'].json }}").map((r) => r.name)).toEqual(["O'Brien"]);
    expect(findReferences("{{ x }}}} {{ nodes.Ünïcode }}").map((r) => r.name)).toEqual(["Ünïcode"]);
  });
});

describe("literals", () => {
  it("decodes Python escapes and encodes in the same quote", () => {
    expect(decodeLiteral("a\\nb\\x41\\u00e9\\q")).toBe("a\nbAé\\q");
    expect(encodeLiteral("O'Brien \\ x", "'")).toBe("'O\\'Brien \\\\ x'");
    expect(encodeLiteral("O'Brien", '"')).toBe('"O\'Brien"');
  });
});

describe("renameInText", () => {
  it("rewrites each form, keeping the quote style", () => {
    expect(renameInText(`{{ nodes['Old'].json.a }} and {{ nodes["Old"].items }}`, "Old", "New")).toBe(`{{ nodes['New'].json.a }} and {{ nodes["New"].items }}`);
    expect(renameInText("{{ nodes.Old.json }}", "Old", "Fresh_1")).toBe("{{ nodes.Fresh_1.json }}");
  });

  it("turns nodes.Old into nodes['…'] when the new name is not an identifier", () => {
    expect(renameInText("{{ nodes.Old.json }}", "Old", "New name")).toBe("{{ nodes['New name'].json }}");
    expect(renameInText("{{ nodes.Old.json }}", "Old", "it's")).toBe("{{ nodes['it\\'s'].json }}");
  });

  it("escapes the new name in the literal's quote", () => {
    expect(renameInText(`{{ nodes["Old"].json }}`, "Old", `say "hi"`)).toBe(`{{ nodes["say \\"hi\\""].json }}`);
  });

  it("leaves other names, prefixes and plain text alone (the same string)", () => {
    const text = "Old {{ nodes['Older'].json }} {{ nodes['Ol'].json }} {{ json.Old }} {# nodes['Old'] #}";
    expect(renameInText(text, "Old", "New")).toBe(text);
  });
});

describe("renameAllInText", () => {
  it("renames several names at once, never chaining (A→B, B→C)", () => {
    const renames = new Map([["A", "B"], ["B", "C"]]);
    expect(renameAllInText("{{ nodes['A'].json ~ nodes.B.json }}", renames)).toBe("{{ nodes['B'].json ~ nodes.C.json }}");
  });
});

describe("renameInValue", () => {
  it("walks objects and lists, never keys, and keeps unchanged parts", () => {
    const untouched = { b: "{{ nodes['Other'].json }}" };
    const value = { "{{ nodes['Old'] }}": "k", list: ["{{ nodes['Old'].json.x }}", 3, null], deep: untouched };
    const next = renameInValue(value, "Old", "New");
    expect(next).toEqual({ "{{ nodes['Old'] }}": "k", list: ["{{ nodes['New'].json.x }}", 3, null], deep: untouched });
    expect(next.deep).toBe(untouched);
    expect(renameInValue(untouched, "Old", "New")).toBe(untouched);
  });
});

describe("renameNode", () => {
  it("renames and rewrites references in every node; connections and pinned data stay (they use ids)", () => {
    const doc = sampleDoc();
    const next = renameNode(doc, "check", "Is it ok?");
    expect(next.nodes.find((n) => n.id === "check")?.name).toBe("Is it ok?");
    expect(next.nodes.find((n) => n.id === "set")?.params).toEqual({ fields: { a: "{{ nodes['Is it ok?'].json.x }}" } });
    expect(next.connections).toBe(doc.connections);
    expect(next.pinned_data).toBe(doc.pinned_data);
    // Nodes without references keep their objects (the canvas does not redraw them).
    expect(next.nodes.find((n) => n.id === "merge")).toBe(doc.nodes.find((n) => n.id === "merge"));
  });

  it("refuses a name another node has (the same document)", () => {
    const doc = sampleDoc();
    expect(renameNode(doc, "check", "Set")).toBe(doc);
    expect(renameNode(doc, "check", "Check")).toBe(doc);
    expect(renameNode(doc, "check", "")).toBe(doc);
  });

  it("a node without a name is named by its id", () => {
    const doc = { ...sampleDoc(), nodes: [{ id: "a", type: "core.noop" }, { id: "b", type: "core.set", params: { x: "{{ nodes.a.json }}" } }] };
    const next = renameNode(doc, "a", "First");
    expect(next.nodes[1]?.params).toEqual({ x: "{{ nodes.First.json }}" });
  });
});

describe("replaceNodeRenaming", () => {
  it("is replaceNode when the name did not change, and a rename when it did", () => {
    const doc = sampleDoc();
    const check = doc.nodes[1]!;
    const edited = replaceNodeRenaming(doc, { ...check, params: { condition: "{{ 1 }}" } });
    expect(edited.nodes[2]).toBe(doc.nodes[2]);
    const renamed = replaceNodeRenaming(doc, { ...check, name: "Gate", params: { condition: "{{ 1 }}" } });
    expect(renamed.nodes[1]).toMatchObject({ name: "Gate", params: { condition: "{{ 1 }}" } });
    expect(renamed.nodes[2]?.params).toEqual({ fields: { a: "{{ nodes['Gate'].json.x }}" } });
  });

  it("a duplicate name is not written", () => {
    const doc = sampleDoc();
    expect(replaceNodeRenaming(doc, { ...doc.nodes[1]!, name: "Merge" }).nodes[1]?.name).toBe("Check");
  });
});

describe("nameProblem", () => {
  it("says what is wrong", () => {
    const others = new Set(["Set", "Merge"]);
    expect(nameProblem("", others)).toBe("The name cannot be empty.");
    expect(nameProblem("Set", others)).toMatch(/Another node is already called “Set”/);
    expect(nameProblem("set", others)).toBeUndefined();
    expect(nameProblem("x".repeat(201), others)).toMatch(/at most 200/);
  });
});
