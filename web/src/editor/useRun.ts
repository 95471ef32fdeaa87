/**
 * Following an execution live: the server-sent events of `GET /api/executions/{id}/events`
 * (a snapshot, then step.started / step.finished / execution.finished) update each node's
 * status and item count as they come; at the end the full record (with the items) replaces
 * them. Without events (a proxy that buffers them, an old browser), the record is polled.
 * The text a node streams (`step.delta`: an AI node's tokens) goes to `live`, a store shown
 * once per animation frame; it starts over when the node's step starts again and is
 * forgotten when the record arrives (its recorded output takes its place).
 */
import { useCallback, useEffect, useRef, useState } from "react";

import { fetchExecution } from "./api";
import { LiveStore, type LiveSource } from "./liveStore";
import { applyEvent, runFromExecution, withTestResult, type ExecutionLike, type RunEvent, type RunState } from "./model/run";
import type { DocConnection, Item } from "./types";

const EVENTS = ["execution.started", "step.started", "step.finished", "execution.waiting", "execution.finished"];
const DELTA = "step.delta";
const POLL_MS = 1000;

export interface RunControl {
  run: RunState | null;
  /** The text each node of the followed run streams, as it comes. */
  live: LiveSource;
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
  const [live] = useState(() => new LiveStore());

  const stop = useCallback(() => {
    source.current?.close();
    source.current = null;
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    following.current = null;
  }, []);

  useEffect(
    () => () => {
      stop();
      live.dispose();
    },
    [stop, live],
  );

  const finish = useCallback(async (id: string) => {
    try {
      const record = await fetchExecution(id);
      if (following.current === id || following.current === null) {
        setRun(runFromExecution(record, latestConnections.current()));
        live.clear();
      }
    } catch {
      // The live state stays as it was.
    }
  }, [live]);

  const poll = useCallback(
    (id: string) => {
      const tick = async () => {
        if (following.current !== id) return;
        try {
          const record = await fetchExecution(id);
          if (following.current !== id) return;
          const state = runFromExecution(record, latestConnections.current());
          setRun(state);
          if (state.done) {
            following.current = null;
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
    [live],
  );

  const follow = useCallback(
    (id: string) => {
      stop();
      live.clear();
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
          // Pieces of text received before this event are shown first; a step starting
          // again streams anew.
          if (kind === "step.started" && event.node_id) live.reset(event.node_id);
          else live.flush();
          setRun((r) => (r && r.executionId === id ? applyEvent(r, { ...event, event: kind }) : r));
        });
      }
      es.addEventListener(DELTA, (e) => {
        const event = JSON.parse((e as MessageEvent<string>).data) as RunEvent;
        if (following.current !== id || !event.node_id || typeof event.text !== "string") return;
        // Only the first piece of a step changes the run state (the node shows it streams).
        if (live.delta(event.node_id, event.text)) setRun((r) => (r && r.executionId === id ? applyEvent(r, { ...event, event: DELTA }) : r));
      });
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
    [stop, poll, finish, live],
  );

  const show = useCallback(
    (record: ExecutionLike) => {
      stop();
      live.clear();
      setRun(runFromExecution(record, latestConnections.current()));
    },
    [stop, live],
  );

  const showTest = useCallback(
    (record: ExecutionLike, nodeId: string, input: Item[]) => {
      live.reset(nodeId);
      setRun((r) => withTestResult(r, record, nodeId, input, latestConnections.current()));
    },
    [live],
  );

  const clear = useCallback(() => {
    stop();
    live.clear();
    setRun(null);
  }, [stop, live]);

  return { run, live, follow, show, showTest, clear };
}
