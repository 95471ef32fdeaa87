/**
 * Following an execution live: the server-sent events of `GET /api/executions/{id}/events`
 * (a snapshot, then step.started / step.finished / execution.finished) update each node's
 * status and item count as they come; at the end the full record (with the items) replaces
 * them. Without events (a proxy that buffers them, an old browser), the record is polled.
 */
import { useCallback, useEffect, useRef, useState } from "react";

import { fetchExecution } from "./api";
import { applyEvent, runFromExecution, withTestResult, type ExecutionLike, type RunEvent, type RunState } from "./model/run";
import type { DocConnection, Item } from "./types";

const EVENTS = ["execution.started", "step.started", "step.finished", "execution.waiting", "execution.finished"];
const POLL_MS = 1000;

export interface RunControl {
  run: RunState | null;
  /** Follow this execution (a run just started, a test webhook call). */
  follow: (executionId: string) => void;
  /** Show a finished execution record. */
  show: (record: ExecutionLike) => void;
  /** A node test's result, merged into what is shown. */
  showTest: (record: ExecutionLike, nodeId: string, input: Item[]) => void;
  clear: () => void;
}

export function useRun(connections: () => readonly DocConnection[]): RunControl {
  const [run, setRun] = useState<RunState | null>(null);
  const source = useRef<EventSource | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const following = useRef<string | null>(null);
  const latestConnections = useRef(connections);
  latestConnections.current = connections;

  const stop = useCallback(() => {
    source.current?.close();
    source.current = null;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    following.current = null;
  }, []);

  useEffect(() => stop, [stop]);

  const finish = useCallback(async (id: string) => {
    try {
      const record = await fetchExecution(id);
      if (following.current === id || following.current === null) setRun(runFromExecution(record, latestConnections.current()));
    } catch {
      // The live state stays as it was.
    }
  }, []);

  const poll = useCallback(
    (id: string) => {
      const tick = async () => {
        if (following.current !== id) return;
        try {
          const record = await fetchExecution(id);
          if (following.current !== id) return;
          const state = runFromExecution(record, latestConnections.current());
          setRun(state);
          if (state.done) following.current = null;
          else timer.current = setTimeout(() => void tick(), POLL_MS);
        } catch {
          timer.current = setTimeout(() => void tick(), POLL_MS * 3);
        }
      };
      void tick();
    },
    [],
  );

  const follow = useCallback(
    (id: string) => {
      stop();
      following.current = id;
      setRun({ executionId: id, status: "queued", nodes: new Map(), error: null, done: false });
      if (typeof EventSource === "undefined") {
        poll(id);
        return;
      }
      const es = new EventSource(`/api/executions/${encodeURIComponent(id)}/events`);
      source.current = es;
      es.addEventListener("snapshot", (e) => {
        setRun(runFromExecution(JSON.parse((e as MessageEvent<string>).data) as ExecutionLike, latestConnections.current()));
      });
      for (const kind of EVENTS) {
        es.addEventListener(kind, (e) => {
          const event = JSON.parse((e as MessageEvent<string>).data) as RunEvent;
          setRun((r) => (r && r.executionId === id ? applyEvent(r, { ...event, event: kind }) : r));
        });
      }
      es.addEventListener("end", () => {
        es.close();
        if (source.current === es) source.current = null;
        void finish(id).then(() => {
          if (following.current === id) following.current = null;
        });
      });
      es.onerror = () => {
        // The stream broke before its end: ask for the record instead.
        es.close();
        if (source.current === es) {
          source.current = null;
          poll(id);
        }
      };
    },
    [stop, poll, finish],
  );

  const show = useCallback(
    (record: ExecutionLike) => {
      stop();
      setRun(runFromExecution(record, latestConnections.current()));
    },
    [stop],
  );

  const showTest = useCallback((record: ExecutionLike, nodeId: string, input: Item[]) => {
    setRun((r) => withTestResult(r, record, nodeId, input, latestConnections.current()));
  }, []);

  const clear = useCallback(() => {
    stop();
    setRun(null);
  }, [stop]);

  return { run, follow, show, showTest, clear };
}
