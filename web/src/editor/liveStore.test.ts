import { describe, expect, it } from "vitest";

import { LiveStore, type FrameScheduler } from "./liveStore";

/** Frames the test runs by hand. */
function manualFrames() {
  const queue = new Map<number, () => void>();
  let next = 1;
  const frames: FrameScheduler = {
    request: (fn) => {
      queue.set(next, fn);
      return next++;
    },
    cancel: (handle) => void queue.delete(handle as number),
  };
  const run = () => {
    const due = [...queue.values()];
    queue.clear();
    due.forEach((fn) => fn());
  };
  return { frames, run, pending: () => queue.size };
}

describe("the live store", () => {
  it("shows the pieces of a frame at once, telling listeners once per frame", () => {
    const { frames, run, pending } = manualFrames();
    const store = new LiveStore(frames);
    let heard = 0;
    store.subscribe(() => heard++);
    expect(store.delta("ask", "Hel")).toBe(true);
    expect(store.delta("ask", "lo")).toBe(false);
    expect(store.delta("ask", " world")).toBe(false);
    expect(pending()).toBe(1);
    expect(store.get("ask")).toBeUndefined();
    run();
    expect(store.get("ask")).toEqual({ text: "Hello world", cut: false });
    expect(heard).toBe(1);
    expect(store.delta("ask", "!")).toBe(false);
    run();
    expect(store.get("ask")!.text).toBe("Hello world!");
    expect(heard).toBe(2);
  });

  it("starts a node over on reset, after showing what came before it", () => {
    const { frames, run, pending } = manualFrames();
    const store = new LiveStore(frames);
    store.delta("sum", "kept");
    expect(store.delta("ask", "attempt one")).toBe(true);
    store.reset("ask");
    expect(pending()).toBe(0);
    expect(store.get("ask")).toBeUndefined();
    expect(store.get("sum")!.text).toBe("kept");
    expect(store.delta("ask", "attempt two")).toBe(true);
    run();
    expect(store.get("ask")!.text).toBe("attempt two");
  });

  it("caps each node's text and forgets everything on clear", () => {
    const { frames, run, pending } = manualFrames();
    const store = new LiveStore(frames, 5);
    for (const piece of ["ab", "cd", "ef", "gh"]) store.delta("ask", piece);
    run();
    expect(store.get("ask")).toEqual({ text: "defgh", cut: true });
    store.delta("ask", "ij");
    let heard = 0;
    store.subscribe(() => heard++);
    store.clear();
    expect(pending()).toBe(0);
    expect(store.get("ask")).toBeUndefined();
    expect(store.all().size).toBe(0);
    expect(heard).toBe(1);
    store.clear();
    expect(heard).toBe(1);
  });

  it("forgets one node's text (shown and pending) when its recorded output takes its place", () => {
    const { frames, run } = manualFrames();
    const store = new LiveStore(frames);
    store.delta("ask", "Once upon");
    store.delta("sum", "kept");
    run();
    store.delta("ask", " a time");
    let heard = 0;
    store.subscribe(() => heard++);
    store.forget("ask");
    expect(store.get("ask")).toBeUndefined();
    expect(store.get("sum")!.text).toBe("kept");
    expect(heard).toBe(1);
    run();
    expect(store.get("ask")).toBeUndefined();
    store.forget("nobody");
    expect(heard).toBe(1);
  });
});
