import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, type FakeApi } from "../test/fakeApi";
import { badges } from "./model/run";
import { useRun } from "./useRun";

/** A stand-in for the browser's EventSource: the test sends the server's events. */
class FakeEventSource {
  static last: FakeEventSource | null = null;
  listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  onerror: (() => void) | null = null;
  closed = false;
  constructor(public url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(kind: string, fn: (e: MessageEvent<string>) => void) {
    this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  send(kind: string, data: unknown) {
    act(() => this.listeners.get(kind)?.forEach((fn) => fn(new MessageEvent(kind, { data: JSON.stringify(data) }))));
  }
}

let server: FakeApi | undefined;
const original = (globalThis as { EventSource?: unknown }).EventSource;
afterEach(() => {
  server?.restore();
  (globalThis as { EventSource?: unknown }).EventSource = original;
});

const step = (node_id: string, items: number) => ({
  node_id,
  run_index: 0,
  status: "success",
  attempt: 1,
  started_at: "2026-01-01T00:00:00Z",
  finished_at: "2026-01-01T00:00:00.050Z",
  error: null,
  output: { main: Array.from({ length: items }, (_, i) => ({ i })) },
  items_out: items,
  truncated: false,
});

describe("following a run", () => {
  it("shows each node's status and items as the events come, then the full record", async () => {
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
    server = fakeApi({ "GET /api/executions/e1": () => ({ id: "e1", status: "success", steps: [step("a", 2), step("b", 2)], error: null }) });
    const connections = [{ from: "a", to: "b" }];
    const { result } = renderHook(() => useRun(() => connections));
    act(() => result.current.follow("e1"));
    const source = FakeEventSource.last!;
    expect(source.url).toBe("/api/executions/e1/events");
    source.send("snapshot", { id: "e1", status: "running", steps: [], error: null });
    source.send("step.started", { node_id: "a", attempt: 1, t: 1 });
    expect(badges(result.current.run).get("a")?.status).toBe("running");
    source.send("step.finished", { node_id: "a", attempt: 1, status: "success", items: 2, t: 1.05 });
    expect(badges(result.current.run).get("a")).toEqual({ status: "success", items: 2, ms: 50 });
    source.send("execution.finished", { status: "success" });
    source.send("end", { status: "success" });
    expect(source.closed).toBe(true);
    await waitFor(() => expect(result.current.run?.nodes.get("b")?.input).toEqual({ main: [{ i: 0 }, { i: 1 }] }));
    expect(result.current.run?.done).toBe(true);
  });

  it("shows a node's streamed text as it comes, starts it over on a new attempt, then the record", async () => {
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
    const answer = { ...step("ask", 0), output: { main: [{ text: "Hello again" }] }, items_out: 1, attempt: 2 };
    server = fakeApi({ "GET /api/executions/e3": () => ({ id: "e3", status: "success", steps: [answer], error: null }) });
    const { result } = renderHook(() => useRun(() => []));
    act(() => result.current.follow("e3"));
    const source = FakeEventSource.last!;
    source.send("snapshot", { id: "e3", status: "running", steps: [], error: null });
    source.send("step.started", { node_id: "ask", attempt: 1, t: 1 });
    source.send("step.delta", { node_id: "ask", text: "Hel", t: 1.1 });
    expect(badges(result.current.run).get("ask")).toMatchObject({ status: "running", streaming: true });
    const run = result.current.run;
    source.send("step.delta", { node_id: "ask", text: "lo", t: 1.2 });
    // Later pieces leave the run state (and the canvas) alone; the text shows at the next frame.
    expect(result.current.run).toBe(run);
    await waitFor(() => expect(result.current.live.get("ask")?.text).toBe("Hello"));
    // A retry: the second attempt's text does not follow the first's.
    source.send("step.delta", { node_id: "ask", text: " and more", t: 1.3 });
    source.send("step.finished", { node_id: "ask", attempt: 1, status: "error", items: 0, t: 1.4 });
    expect(result.current.live.get("ask")?.text).toBe("Hello and more");
    expect(badges(result.current.run).get("ask")?.streaming).toBeUndefined();
    source.send("step.started", { node_id: "ask", attempt: 2, t: 2 });
    expect(result.current.live.get("ask")).toBeUndefined();
    source.send("step.delta", { node_id: "ask", text: "Hello again", t: 2.1 });
    await waitFor(() => expect(result.current.live.get("ask")?.text).toBe("Hello again"));
    source.send("step.finished", { node_id: "ask", attempt: 2, status: "success", items: 1, t: 2.2 });
    source.send("execution.finished", { status: "success" });
    source.send("end", { status: "success" });
    // The recorded output replaces the streamed text.
    await waitFor(() => expect(result.current.run?.nodes.get("ask")?.output).toEqual({ main: [{ text: "Hello again" }] }));
    expect(result.current.live.get("ask")).toBeUndefined();
  });

  it("asks for the record when the stream breaks", async () => {
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
    server = fakeApi({ "GET /api/executions/e2": () => ({ id: "e2", status: "success", steps: [step("a", 1)], error: null }) });
    const { result } = renderHook(() => useRun(() => []));
    act(() => result.current.follow("e2"));
    act(() => FakeEventSource.last!.onerror?.());
    await waitFor(() => expect(badges(result.current.run).get("a")?.items).toBe(1));
    expect(FakeEventSource.last!.closed).toBe(true);
  });
});
