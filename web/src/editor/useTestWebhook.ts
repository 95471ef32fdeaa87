/** "Listen for test event": save, arm the workflow's test URLs, wait (polling the listener)
 * for the call, then follow the execution it started on the canvas. */
import { useCallback, useEffect, useRef, useState } from "react";

import { armTestWebhook, disarmTestWebhook, getTestWebhook } from "./api";
import type { ListenState } from "./WebhookSection";

const POLL_MS = 1000;

export function useTestWebhook(workflowId: number, ensureSaved: () => Promise<boolean>, follow: (executionId: string) => void) {
  const [listen, setListen] = useState<ListenState>({ status: "idle" });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const armed = useRef(false);

  const stopPolling = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  };

  useEffect(
    () => () => {
      stopPolling();
      if (armed.current) void disarmTestWebhook(workflowId).catch(() => undefined);
    },
    [workflowId],
  );

  const start = useCallback(async () => {
    setListen({ status: "arming" });
    try {
      if (!(await ensureSaved())) {
        setListen({ status: "idle" });
        return;
      }
      const out = await armTestWebhook(workflowId);
      armed.current = true;
      setListen({ status: "listening", expiresAt: out.expires_at });
      const poll = async () => {
        try {
          const now = await getTestWebhook(workflowId);
          if (now.status === "called" && now.execution_id) {
            armed.current = false;
            setListen({ status: "called", executionId: now.execution_id });
            follow(now.execution_id);
            return;
          }
          if (now.status === "expired") {
            armed.current = false;
            setListen({ status: "expired" });
            return;
          }
        } catch (e) {
          armed.current = false;
          setListen({ status: "error", error: e });
          return;
        }
        timer.current = setTimeout(() => void poll(), POLL_MS);
      };
      timer.current = setTimeout(() => void poll(), POLL_MS);
    } catch (e) {
      setListen({ status: "error", error: e });
    }
  }, [workflowId, ensureSaved, follow]);

  const stop = useCallback(async () => {
    stopPolling();
    armed.current = false;
    setListen({ status: "idle" });
    await disarmTestWebhook(workflowId).catch(() => undefined);
  }, [workflowId]);

  return { listen, start, stop };
}
