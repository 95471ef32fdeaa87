import { describe, expect, it } from "vitest";

import { appendDeltas, DeltaBuffer, lastChars, NO_LIVE_TEXT, withoutNode, type PendingText } from "./live";

const pending = (entries: Record<string, string>): Map<string, PendingText> =>
  new Map(Object.entries(entries).map(([id, text]) => [id, { text, cut: false }]));

describe("live text", () => {
  it("appends each node's pieces, keeping unchanged nodes' objects", () => {
    let live = appendDeltas(NO_LIVE_TEXT, pending({ ask: "Hel", sum: "A" }));
    live = appendDeltas(live, pending({ ask: "lo" }));
    expect(live.get("ask")).toEqual({ text: "Hello", cut: false });
    const sum = live.get("sum");
    const next = appendDeltas(live, pending({ ask: "!" }));
    expect(next.get("sum")).toBe(sum);
    expect(next.get("ask")!.text).toBe("Hello!");
    expect(appendDeltas(next, new Map())).toBe(next);
  });

  it("starts a node over when its step starts again", () => {
    const live = appendDeltas(NO_LIVE_TEXT, pending({ ask: "first attempt", sum: "x" }));
    const reset = withoutNode(live, "ask");
    expect(reset.has("ask")).toBe(false);
    expect(reset.get("sum")).toBe(live.get("sum"));
    expect(withoutNode(reset, "ask")).toBe(reset);
    expect(appendDeltas(reset, pending({ ask: "second" })).get("ask")!.text).toBe("second");
  });

  it("keeps only the last characters up to the cap and says so", () => {
    let live = appendDeltas(NO_LIVE_TEXT, pending({ ask: "abcdef" }), 8);
    expect(live.get("ask")).toEqual({ text: "abcdef", cut: false });
    live = appendDeltas(live, pending({ ask: "ghij" }), 8);
    expect(live.get("ask")).toEqual({ text: "cdefghij", cut: true });
    live = appendDeltas(live, pending({ ask: "k" }), 8);
    expect(live.get("ask")).toEqual({ text: "defghijk", cut: true });
  });

  it("never cuts a character in two", () => {
    expect(lastChars("ab😀cd", 3)).toEqual({ text: "cd", cut: true });
    expect(lastChars("ab😀cd", 4)).toEqual({ text: "😀cd", cut: true });
    expect(lastChars("abc", 3)).toEqual({ text: "abc", cut: false });
  });
});

describe("the buffer between two frames", () => {
  it("collects pieces per node and empties on take", () => {
    const buffer = new DeltaBuffer(100);
    buffer.add("ask", "Hel");
    buffer.add("ask", "lo");
    buffer.add("sum", "x");
    buffer.add("sum", "");
    expect(buffer.has("ask")).toBe(true);
    expect(buffer.take()).toEqual(pending({ ask: "Hello", sum: "x" }));
    expect(buffer.size).toBe(0);
  });

  it("stays bounded however much comes before a frame", () => {
    const buffer = new DeltaBuffer(10);
    for (let i = 0; i < 10_000; i++) buffer.add("ask", String(i % 10));
    const internal = (buffer as unknown as { nodes: Map<string, { length: number }> }).nodes.get("ask")!;
    expect(internal.length).toBeLessThanOrEqual(20);
    expect(buffer.take().get("ask")).toEqual({ text: "0123456789", cut: true });
  });

  it("drops one node's pieces or all", () => {
    const buffer = new DeltaBuffer();
    buffer.add("a", "1");
    buffer.add("b", "2");
    buffer.drop("a");
    expect([...buffer.take().keys()]).toEqual(["b"]);
    buffer.add("a", "1");
    buffer.drop();
    expect(buffer.size).toBe(0);
  });
});
