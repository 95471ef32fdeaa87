import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import type { Period } from "./format";

export type DashboardOut = components["schemas"]["DashboardOut"];
export type StatusCounts = components["schemas"]["StatusCounts"];
export type SeriesPoint = components["schemas"]["SeriesPoint"];
export type SlowWorkflow = components["schemas"]["SlowWorkflow"];
export type FailingWorkflow = components["schemas"]["FailingWorkflow"];

/** How often the figures are asked again while the tab is visible. */
export const DASHBOARD_REFRESH_MS = 60_000;

/** The period's figures (aggregated by the server), refreshed every minute. */
export function useDashboard(period: Period) {
  return useQuery({
    queryKey: ["dashboard", period],
    queryFn: () => unwrap(api.GET("/api/dashboard", { params: { query: { period } } })),
    refetchInterval: DASHBOARD_REFRESH_MS,
    refetchIntervalInBackground: false,
    placeholderData: keepPreviousData,
  });
}
