import { describe, expect, it } from "vitest";

import { canRedo, canUndo, initHistory, record, redo, replacePresent, undo } from "./history";

describe("history", () => {
  it("undoes and redoes; a new change drops what could be redone", () => {
    let h = initHistory("a");
    h = record(h, "b", { now: 0 });
    h = record(h, "c", { now: 5000 });
    expect(h.past).toEqual(["a", "b"]);
    h = undo(h);
    expect(h.present).toBe("b");
    expect(canRedo(h)).toBe(true);
    h = redo(h);
    expect(h.present).toBe("c");
    h = undo(undo(h));
    expect(h.present).toBe("a");
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = record(h, "d", { now: 9000 });
    expect(canRedo(h)).toBe(false);
    expect(h.past).toEqual(["a"]);
  });

  it("coalesces changes with the same key within the window (one drag, one field)", () => {
    let h = initHistory(0);
    for (let i = 1; i <= 30; i++) h = record(h, i, { key: "drag:set", now: i * 16 });
    expect(h.past).toEqual([0]);
    expect(h.present).toBe(30);
    h = record(h, 31, { key: "drag:set", now: 30 * 16 + 5000 });
    expect(h.past).toEqual([0, 30]);
    h = record(h, 32, { key: "node:set", now: 30 * 16 + 5001 });
    expect(h.past).toEqual([0, 30, 31]);
    // After an undo, the same key starts a new step.
    h = undo(h);
    h = record(h, 33, { key: "node:set", now: 30 * 16 + 5002 });
    expect(h.past).toEqual([0, 30, 31]);
  });

  it("keeps at most `limit` steps and ignores a change to the same object", () => {
    let h = initHistory(0);
    for (let i = 1; i <= 10; i++) h = record(h, i, { limit: 3 });
    expect(h.past).toEqual([7, 8, 9]);
    expect(record(h, h.present)).toBe(h);
    expect(replacePresent(h, 99)).toMatchObject({ past: [7, 8, 9], present: 99 });
  });
});
