/** The AI assistant's calls: its configuration, drafts, explanations, write helpers, and the
 * model list of a provider integration. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import { toApiError } from "../../api/errors";
import type { components } from "../../api/schema";

export type AssistantConfig = components["schemas"]["AssistantConfigOut"];
export type AssistantConfigIn = components["schemas"]["AssistantConfigIn"];
export type DraftOut = components["schemas"]["DraftOut"];
export type ExplainOut = components["schemas"]["ExplainOut"];
export type WriteIn = components["schemas"]["WriteIn"];
export type WriteOut = components["schemas"]["WriteOut"];
export type ModelOut = components["schemas"]["ModelOut"];

const ASSISTANT = ["ai-assistant"] as const;

/** The assistant's configuration and the integration types that serve models. */
export function useAssistant(enabled = true) {
  return useQuery({ queryKey: ASSISTANT, enabled, queryFn: () => unwrap(api.GET("/api/ai/assistant")), staleTime: 60_000 });
}

export function useSetAssistant() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AssistantConfigIn) => unwrap(api.PUT("/api/ai/assistant", { body })),
    onSuccess: (out) => client.setQueryData(ASSISTANT, out),
  });
}

/** The assistant has no model yet (an owner or admin chooses it in Settings → AI assistant). */
export function notSetUp(error: unknown): boolean {
  return toApiError(error).code === "assistant_not_configured";
}

export function draftWorkflow(description: string, document: Record<string, unknown> | null): Promise<DraftOut> {
  return unwrap(api.POST("/api/ai/draft-workflow", { body: { description, document } }));
}

export function explainError(executionId: string, nodeId: string): Promise<ExplainOut> {
  return unwrap(api.POST("/api/ai/explain-error", { body: { execution_id: executionId, node_id: nodeId } }));
}

export function writeWithAi(body: WriteIn): Promise<WriteOut> {
  return unwrap(api.POST("/api/ai/write", { body }));
}

/** The models a provider integration lists (asked only once an integration is chosen). */
export function useModels(integrationId: number | null) {
  return useQuery({
    queryKey: ["integration-models", integrationId],
    enabled: integrationId !== null,
    staleTime: 5 * 60_000,
    retry: false,
    queryFn: () =>
      unwrap(api.GET("/api/integrations/{integration_id}/models", { params: { path: { integration_id: integrationId ?? 0 } } })),
  });
}
