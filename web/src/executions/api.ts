import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { isLive, type ExecutionStatus } from "./format";

export type ExecutionSummary = components["schemas"]["ExecutionSummary"];
export type ExecutionOut = components["schemas"]["ExecutionOut"];
export type StepOut = components["schemas"]["StepOut"];

export const EXECUTIONS_KEY = ["executions"] as const;
export const PAGE_SIZE = 25;
/** How often a list or an execution still running is asked again. */
export const POLL_MS = 3000;

export interface ExecutionFilter {
  workflowId?: number | undefined;
  status?: ExecutionStatus | undefined;
}

/** Pages of executions, newest first, following the API's next_cursor. */
export function useExecutions(filter: ExecutionFilter, poll: boolean) {
  return useInfiniteQuery({
    queryKey: [...EXECUTIONS_KEY, "list", filter],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/executions", {
          params: {
            query: {
              workflow_id: filter.workflowId,
              status: filter.status ? [filter.status] : undefined,
              limit: PAGE_SIZE,
              cursor: pageParam,
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: (query) => {
      if (!poll) return false;
      const pages = query.state.data?.pages ?? [];
      return pages.some((p) => p.items.some((e) => isLive(e.status))) ? POLL_MS : false;
    },
    placeholderData: (previous) => previous,
  });
}

export function useExecution(id: string, poll: boolean) {
  return useQuery({
    queryKey: [...EXECUTIONS_KEY, "one", id],
    queryFn: () =>
      unwrap(api.GET("/api/executions/{execution_id}", { params: { path: { execution_id: id } } })),
    refetchInterval: (query) => (poll && query.state.data && isLive(query.state.data.status) ? POLL_MS : false),
  });
}

export function useCancelExecution() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/executions/{execution_id}/cancel", { params: { path: { execution_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: EXECUTIONS_KEY }),
  });
}

export function useRetryExecution() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/executions/{execution_id}/retry", { params: { path: { execution_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: EXECUTIONS_KEY }),
  });
}

/** Workflow names for the filter and the rows (the API's largest page). */
export function useWorkflowNames() {
  return useQuery({
    queryKey: ["workflows", "names"],
    queryFn: () => unwrap(api.GET("/api/workflows", { params: { query: { limit: 200 } } })),
    select: (page) => page.items.map((w) => ({ id: w.id, name: w.name })),
    staleTime: 30_000,
  });
}
