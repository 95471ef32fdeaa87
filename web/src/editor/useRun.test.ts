import { act, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { ApiError } from "../api/errors";
import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { executeFollowing } from "./api";
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

/** The body of `POST …/execute?follow=true`, written by the test piece by piece. */
function runStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: () => new Response(body, { headers: { "content-type": "text/event-stream" } }),
    send: (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
    close: () => controller.close(),
    fail: () => controller.error(new TypeError("network error")),
  };
}

const gets = (api: FakeApi, path: string) => api.requests.filter((r) => r.method === "GET" && new URL(r.url).pathname === path).length;

describe("running from the editor (started and followed in one request)", () => {
  it("follows the run from its first event: the streamed text is whole, and a node's record replaces its text when its step finishes", async () => {
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
    FakeEventSource.last = null;
    const stream = runStream();
    const answer = { ...step("ask", 0), output: { main: [{ text: "Once upon a time" }] }, items_out: 1 };
    let record: unknown = { id: "e9", status: "running", steps: [step("start", 1), answer], error: null };
    server = fakeApi({
      "POST /api/workflows/7/execute": () => stream.response(),
      "GET /api/executions/e9": () => record,
    });
    const connections = [
      { from: "start", to: "ask" },
      { from: "ask", to: "after" },
    ];
    const { result } = renderHook(() => useRun(() => connections));
    let started: Promise<string | null> = Promise.resolve(null);
    act(() => {
      started = result.current.start((signal) => executeFollowing(7, signal));
    });
    stream.send("started", { execution_id: "e9" });
    await act(async () => expect(await started).toBe("e9"));
    const sent = server.requests.find((r) => r.method === "POST")!;
    expect(new URL(sent.url).searchParams.get("follow")).toBe("true");
    expect(await sent.json()).toEqual({ input: null });

    stream.send("snapshot", { id: "e9", status: "running", steps: [], error: null });
    stream.send("execution.started", { t: 1 });
    stream.send("step.finished", { node_id: "start", attempt: 1, status: "success", items: 1, t: 1 });
    stream.send("step.started", { node_id: "ask", attempt: 1, t: 1 });
    stream.send("step.delta", { node_id: "ask", text: "Once", t: 1.1 });
    stream.send("step.delta", { node_id: "ask", text: " upon", t: 1.2 });
    await waitFor(() => expect(result.current.live.get("ask")?.text).toBe("Once upon"));
    expect(badges(result.current.run).get("ask")).toMatchObject({ status: "running", streaming: true });
    expect(result.current.run?.executionId).toBe("e9");

    stream.send("step.delta", { node_id: "ask", text: " a time", t: 1.3 });
    stream.send("step.finished", { node_id: "ask", attempt: 1, status: "success", items: 1, t: 1.4 });
    stream.send("step.started", { node_id: "after", attempt: 1, t: 1.5 });
    // The run goes on, and the finished node shows its recorded output instead of its text.
    await waitFor(() => expect(result.current.run?.nodes.get("ask")?.output).toEqual({ main: [{ text: "Once upon a time" }] }));
    expect(result.current.live.get("ask")).toBeUndefined();
    expect(result.current.run?.done).toBe(false);
    expect(badges(result.current.run).get("after")?.status).toBe("running");
    // Only that node: the one that did not stream waits for the end.
    expect(result.current.run?.nodes.get("start")?.output).toBeUndefined();
    expect(gets(server, "/api/executions/e9")).toBe(1);

    record = { id: "e9", status: "success", steps: [step("start", 1), answer, step("after", 1)], error: null };
    stream.send("step.finished", { node_id: "after", attempt: 1, status: "success", items: 1, t: 1.6 });
    stream.send("execution.finished", { status: "success", t: 1.7 });
    stream.send("end", { status: "success" });
    stream.close();
    await waitFor(() => expect(result.current.run?.done).toBe(true));
    await waitFor(() => expect(result.current.run?.nodes.get("after")?.input).toEqual({ main: [{ text: "Once upon a time" }] }));
    expect(FakeEventSource.last).toBeNull(); // no second connection
  });

  it("reads the record once for a burst of finished steps, and again for a step not recorded yet", async () => {
    const stream = runStream();
    const a = { ...step("a", 0), output: { main: [{ text: "A" }] }, items_out: 1 };
    const b = { ...step("b", 0), output: { main: [{ text: "B" }] }, items_out: 1 };
    let steps: unknown[] = [a];
    server = fakeApi({
      "POST /api/workflows/7/execute": () => stream.response(),
      "GET /api/executions/e5": () => ({ id: "e5", status: "running", steps, error: null }),
    });
    const { result } = renderHook(() => useRun(() => []));
    let started: Promise<string | null> = Promise.resolve(null);
    act(() => {
      started = result.current.start((signal) => executeFollowing(7, signal));
    });
    stream.send("started", { execution_id: "e5" });
    stream.send("snapshot", { id: "e5", status: "running", steps: [], error: null });
    for (const id of ["a", "b"]) {
      stream.send("step.started", { node_id: id, attempt: 1, t: 1 });
      stream.send("step.delta", { node_id: id, text: `streamed by ${id}`, t: 1 });
    }
    await act(async () => void (await started));
    await waitFor(() => expect(result.current.live.get("b")?.text).toBe("streamed by b"));
    stream.send("step.finished", { node_id: "a", attempt: 1, status: "success", items: 1, t: 2 });
    stream.send("step.finished", { node_id: "b", attempt: 1, status: "success", items: 1, t: 2 });
    // a is recorded, b not yet (the server writes just behind its events): b is read again.
    await waitFor(() => expect(result.current.run?.nodes.get("a")?.output).toEqual({ main: [{ text: "A" }] }));
    expect(gets(server, "/api/executions/e5")).toBe(1);
    expect(result.current.live.get("b")?.text).toBe("streamed by b");
    steps = [a, b];
    await waitFor(() => expect(result.current.run?.nodes.get("b")?.output).toEqual({ main: [{ text: "B" }] }));
    expect(gets(server, "/api/executions/e5")).toBe(2);
    expect(result.current.live.get("b")).toBeUndefined();
    act(() => result.current.clear());
  });

  it("a refused run is the API's error, and nothing is followed", async () => {
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
    FakeEventSource.last = null;
    server = fakeApi({
      "POST /api/workflows/7/execute": () =>
        json({ detail: "validation failed", code: "validation_error", errors: [{ field: "nodes[1].type", message: "no installed integration runs it" }] }, 422),
    });
    const { result } = renderHook(() => useRun(() => []));
    let error: unknown;
    await act(async () => {
      await result.current.start((signal) => executeFollowing(7, signal)).catch((e: unknown) => (error = e));
    });
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    expect(result.current.run).toBeNull();
    expect(FakeEventSource.last).toBeNull();
  });

  it("follows the run from the events endpoint when the stream breaks after it started", async () => {
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
    FakeEventSource.last = null;
    const stream = runStream();
    server = fakeApi({
      "POST /api/workflows/7/execute": () => stream.response(),
      "GET /api/executions/e4": () => ({ id: "e4", status: "success", steps: [step("ask", 1)], error: null }),
    });
    const { result } = renderHook(() => useRun(() => []));
    let started: Promise<string | null> = Promise.resolve(null);
    act(() => {
      started = result.current.start((signal) => executeFollowing(7, signal));
    });
    stream.send("started", { execution_id: "e4" });
    stream.send("snapshot", { id: "e4", status: "running", steps: [], error: null });
    stream.send("step.started", { node_id: "ask", attempt: 1, t: 1 });
    stream.send("step.delta", { node_id: "ask", text: "Once", t: 1 });
    await act(async () => void (await started));
    await waitFor(() => expect(result.current.live.get("ask")?.text).toBe("Once"));
    stream.fail();
    await waitFor(() => expect(FakeEventSource.last?.url).toBe("/api/executions/e4/events"));
    // The text streamed so far stays; the events endpoint goes on from here.
    expect(result.current.live.get("ask")?.text).toBe("Once");
    const source = FakeEventSource.last!;
    source.send("snapshot", { id: "e4", status: "running", steps: [], error: null });
    source.send("step.delta", { node_id: "ask", text: " upon", t: 2 });
    await waitFor(() => expect(result.current.live.get("ask")?.text).toBe("Once upon"));
    source.send("end", { status: "success" });
    await waitFor(() => expect(result.current.run?.done).toBe(true));
    expect(badges(result.current.run).get("ask")?.items).toBe(1);
  });

  it("a stream that ends before the run started is an error", async () => {
    const stream = runStream();
    server = fakeApi({ "POST /api/workflows/7/execute": () => stream.response() });
    const { result } = renderHook(() => useRun(() => []));
    stream.close();
    await expect(result.current.start((signal) => executeFollowing(7, signal))).rejects.toThrow("the connection ended before the run started");
  });
});
