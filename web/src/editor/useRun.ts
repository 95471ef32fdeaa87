/**
 * Following an execution live. **Run** starts the execution and follows it in one request
 * (`POST /api/workflows/{id}/execute?follow=true`: a `started` event naming it, then its
 * events from its very start, so a node's streamed text is whole from its first word); a run
 * started elsewhere (a test webhook call) is followed through `GET /api/executions/{id}/events`,
 * and so is a Run whose stream breaks off after `started`. Either way the events (a snapshot,
 * then step.started / step.finished / execution.finished) update each node's status and item
 * count as they come; at the end the full record (with the items) replaces them. Without
 * events (a proxy that buffers them, an old browser), the record is polled.
 *
 * The text a node streams (`step.delta`: an AI node's tokens) goes to `live`, a store shown
 * once per animation frame; it starts over when the node's step starts again. When a node
 * that streamed finishes its step, the record is read (`recordRefresh.ts`: coalesced, one
 * read for a burst of them) and that node's recorded output takes the place of its live text
 * at once, without waiting for the end of the run; at the end every node's does.
 */
import { useCallback, useEffect, useRef, useState } from "react";

import { readSse, type SseEvent } from "../api/sse";
import { fetchExecution } from "./api";
import { LiveStore, type LiveSource } from "./liveStore";
import { applyEvent, runFromExecution, withRecordedNodes, withTestResult, type ExecutionLike, type RunEvent, type RunState } from "./model/run";
import { RecordRefresh } from "./recordRefresh";
import type { DocConnection, Item } from "./types";

const EVENTS = new Set(["execution.started", "step.started", "step.finished", "execution.waiting", "execution.finished"]);
const DELTA = "step.delta";
const SNAPSHOT = "snapshot";
const END = "end";
const STARTED = "started";
const POLL_MS = 1000;

/** Starts a run and answers its live events (`POST …/execute?follow=true`'s body). */
export type OpenRun = (signal: AbortSignal) => Promise<ReadableStream<Uint8Array<ArrayBuffer>>>;

export interface RunControl {
  run: RunState | null;
  /** The text each node of the followed run streams, as it comes. */
  live: LiveSource;
  /** Start a run with `open` and follow it from its start. Resolves with the execution's id
   * once it started (null when something else was followed meanwhile); rejects when the run
   * was refused (the API's error) or the stream ended before the run started. */
  start: (open: OpenRun) => Promise<string | null>;
  /** Follow this execution (a test webhook call). */
  follow: (executionId: string) => void;
  /** Show a finished execution record. */
  show: (record: ExecutionLike) => void;
  /** A node test's result, merged into what is shown. */
  showTest: (record: ExecutionLike, nodeId: string, input: Item[]) => void;
  clear: () => void;
}

export function useRun(connections: () => readonly DocConnection[]): RunControl {
  const [run, setRun] = useState<RunState | null>(null);
  // The run state as the events left it (React's copy may lag a render behind).
  const current = useRef<RunState | null>(null);
  const source = useRef<EventSource | null>(null);
  const request = useRef<AbortController | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refresh = useRef<RecordRefresh<ExecutionLike> | null>(null);
  const following = useRef<string | null>(null);
  const latestConnections = useRef(connections);
  latestConnections.current = connections;
  const [live] = useState(() => new LiveStore());

  const update = useCallback((next: RunState | null | ((r: RunState | null) => RunState | null)) => {
    const value = typeof next === "function" ? next(current.current) : next;
    if (value === current.current) return;
    current.current = value;
    setRun(value);
  }, []);

  const stop = useCallback(() => {
    source.current?.close();
    source.current = null;
    request.current?.abort();
    request.current = null;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    refresh.current?.stop();
    refresh.current = null;
    following.current = null;
  }, []);

  /** Stop following, and forget the live text shown. */
  const reset = useCallback(() => {
    stop();
    live.clear();
  }, [stop, live]);

  useEffect(
    () => () => {
      stop();
      live.dispose();
    },
    [stop, live],
  );

  const finish = useCallback(
    async (id: string) => {
      try {
        const record = await fetchExecution(id);
        if (following.current === id || following.current === null) {
          update(runFromExecution(record, latestConnections.current()));
          live.clear();
        }
      } catch {
        // The live state stays as it was.
      }
    },
    [live, update],
  );

  const poll = useCallback(
    (id: string) => {
      const tick = async () => {
        if (following.current !== id) return;
        try {
          const record = await fetchExecution(id);
          if (following.current !== id) return;
          const state = runFromExecution(record, latestConnections.current());
          update(state);
          if (state.done) {
            following.current = null;
            refresh.current?.stop();
            live.clear();
          } else {
            timer.current = setTimeout(() => void tick(), POLL_MS);
          }
        } catch {
          timer.current = setTimeout(() => void tick(), POLL_MS * 3);
        }
      };
      void tick();
    },
    [live, update],
  );

  /** Follow `id` from now on: its state starts over, its record is read as its streaming
   * nodes finish. */
  const begin = useCallback(
    (id: string) => {
      following.current = id;
      update({ executionId: id, status: "queued", nodes: new Map(), error: null, done: false });
      refresh.current = new RecordRefresh<ExecutionLike>({
        read: () => fetchExecution(id),
        apply: (record, nodeIds) => {
          const state = current.current;
          if (following.current !== id || state?.executionId !== id || state.done) return [];
          const out = withRecordedNodes(state, record, nodeIds);
          update(out.state);
          for (const nodeId of out.applied) live.forget(nodeId);
          return out.missing;
        },
      });
    },
    [live, update],
  );

  /** One event of the followed run; true for the last one (`end`). */
  const handle = useCallback(
    (id: string, { event: kind, data }: SseEvent): boolean => {
      if (following.current !== id) return kind === END;
      if (kind === SNAPSHOT) {
        update(runFromExecution(JSON.parse(data) as ExecutionLike, latestConnections.current()));
        return false;
      }
      if (kind === END) {
        refresh.current?.stop();
        void finish(id).then(() => {
          if (following.current === id) following.current = null;
        });
        return true;
      }
      if (kind !== DELTA && !EVENTS.has(kind)) return false;
      const event = JSON.parse(data) as RunEvent;
      const apply = () => update((r) => (r && r.executionId === id ? applyEvent(r, { ...event, event: kind }) : r));
      if (kind === DELTA) {
        if (!event.node_id || typeof event.text !== "string") return false;
        // Only the first piece of a step changes the run state (the node shows it streams).
        if (live.delta(event.node_id, event.text)) apply();
        return false;
      }
      // Pieces of text received before this event are shown first; a step starting again
      // streams anew.
      if (kind === "step.started" && event.node_id) live.reset(event.node_id);
      else live.flush();
      apply();
      // A node that streamed is done: its recorded output can take the live text's place.
      if (kind === "step.finished" && event.node_id && live.get(event.node_id)) refresh.current?.ask(event.node_id);
      return false;
    },
    [finish, live, update],
  );

  /** Follow `id` through `GET /api/executions/{id}/events` (or by polling its record). */
  const listen = useCallback(
    (id: string) => {
      if (typeof EventSource === "undefined") {
        poll(id);
        return;
      }
      const es = new EventSource(`/api/executions/${encodeURIComponent(id)}/events`);
      source.current = es;
      for (const kind of [SNAPSHOT, ...EVENTS, DELTA, END]) {
        es.addEventListener(kind, (e) => {
          if (!handle(id, { event: kind, data: (e as MessageEvent<string>).data })) return;
          es.close();
          if (source.current === es) source.current = null;
        });
      }
      es.onerror = () => {
        // The stream broke before its end: ask for the record instead.
        es.close();
        if (source.current === es) {
          source.current = null;
          poll(id);
        }
      };
    },
    [handle, poll],
  );

  const follow = useCallback(
    (id: string) => {
      reset();
      begin(id);
      listen(id);
    },
    [reset, begin, listen],
  );

  /** The rest of a Run's stream; if it breaks off before `end`, the events endpoint takes
   * over (the text streamed so far stays). */
  const consume = useCallback(
    async (id: string, events: AsyncGenerator<SseEvent>, controller: AbortController) => {
      try {
        for await (const event of events) if (handle(id, event)) return;
      } catch {
        // Broke off: below.
      }
      if (controller.signal.aborted || following.current !== id) return;
      if (request.current === controller) request.current = null;
      listen(id);
    },
    [handle, listen],
  );

  const start = useCallback(
    async (open: OpenRun): Promise<string | null> => {
      reset();
      const controller = new AbortController();
      request.current = controller;
      try {
        const events = readSse(await open(controller.signal));
        const first = await events.next();
        if (first.done || first.value.event !== STARTED) {
          void events.return(undefined);
          throw new Error("the connection ended before the run started");
        }
        const id = String((JSON.parse(first.value.data) as { execution_id?: unknown }).execution_id ?? "");
        if (request.current !== controller) {
          void events.return(undefined);
          return null;
        }
        begin(id);
        void consume(id, events, controller);
        return id;
      } catch (e) {
        if (controller.signal.aborted) return null; // something else is followed now
        if (request.current === controller) request.current = null;
        throw e;
      }
    },
    [reset, begin, consume],
  );

  const show = useCallback(
    (record: ExecutionLike) => {
      reset();
      update(runFromExecution(record, latestConnections.current()));
    },
    [reset, update],
  );

  const showTest = useCallback(
    (record: ExecutionLike, nodeId: string, input: Item[]) => {
      live.reset(nodeId);
      update((r) => withTestResult(r, record, nodeId, input, latestConnections.current()));
    },
    [live, update],
  );

  const clear = useCallback(() => {
    reset();
    update(null);
  }, [reset, update]);

  return { run, live, start, follow, show, showTest, clear };
}
