import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type WorkersOut = components["schemas"]["WorkersOut"];
export type WorkerOut = components["schemas"]["WorkerOut"];
export type QueueOut = components["schemas"]["QueueOut"];

/** How often the System card asks again (processes beat every 10 s). */
export const SYSTEM_REFRESH_MS = 10_000;

export function useSystemWorkers(enabled: boolean) {
  return useQuery({
    queryKey: ["system", "workers"],
    queryFn: () => unwrap(api.GET("/api/system/workers")),
    enabled,
    refetchInterval: SYSTEM_REFRESH_MS,
  });
}

export function useSystemQueue(enabled: boolean) {
  return useQuery({
    queryKey: ["system", "queue"],
    queryFn: () => unwrap(api.GET("/api/system/queue")),
    enabled,
    refetchInterval: SYSTEM_REFRESH_MS,
  });
}

/** "3 s ago", "2 min ago", "1 h ago" for a heartbeat's age in seconds. */
export function ago(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}
