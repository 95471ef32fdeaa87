import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { isLive, type ExecutionStatus } from "./format";
import { rangeProblem, timeQuery, type TimeFilter } from "./timeFilter";

export type ExecutionSummary = components["schemas"]["ExecutionSummary"];
export type ExecutionOut = components["schemas"]["ExecutionOut"];
export type StepOut = components["schemas"]["StepOut"];

export const EXECUTIONS_KEY = ["executions"] as const;
export const PAGE_SIZE = 25;
/** How often an execution still running is asked again. */
export const POLL_MS = 3000;
/** How often the list refreshes itself while auto-refresh is on (never while the tab is hidden). */
export const LIST_REFRESH_MS = 5000;

export interface ExecutionFilter {
  workflowId?: number | undefined;
  status?: ExecutionStatus | undefined;
  time?: TimeFilter | undefined;
}

/** Pages of executions, newest first, following the API's next_cursor; with ``autoRefresh``
 * asked again every few seconds while the tab is visible (a time preset then moves along). */
export function useExecutions(filter: ExecutionFilter, autoRefresh: boolean) {
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
              ...timeQuery(filter.time ?? { kind: "any" }),
              limit: PAGE_SIZE,
              cursor: pageParam,
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: !rangeProblem(filter.time ?? { kind: "any" }),
    refetchInterval: autoRefresh ? LIST_REFRESH_MS : false,
    refetchIntervalInBackground: false,
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
