import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type PendingApproval = components["schemas"]["PendingApproval"];

export const APPROVALS_KEY = ["approvals"] as const;
/** How often the list is asked again while the page is open. */
export const APPROVALS_POLL_MS = 5000;

export function useApprovals() {
  return useQuery({
    queryKey: APPROVALS_KEY,
    queryFn: () => unwrap(api.GET("/api/approvals")),
    refetchInterval: APPROVALS_POLL_MS,
    refetchIntervalInBackground: false,
  });
}

export interface Decision {
  approval: PendingApproval;
  approved: boolean;
  reason: string;
}

export function useDecide() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ approval, approved, reason }: Decision) =>
      unwrap(
        api.POST("/api/approvals/{execution_id}/{node_id}/{call_id}", {
          params: {
            path: { execution_id: approval.execution_id, node_id: approval.node_id, call_id: approval.call_id },
          },
          body: { approved, reason: reason || null },
        }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: APPROVALS_KEY }),
  });
}
