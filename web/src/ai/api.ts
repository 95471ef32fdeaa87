import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type TemplateSummary = components["schemas"]["TemplateSummary"];
export type TemplateOut = components["schemas"]["TemplateOut"];
export type TemplateVersionOut = components["schemas"]["TemplateVersionOut"];
export type TemplateIn = components["schemas"]["TemplateIn"];
export type TemplateUpdate = components["schemas"]["TemplateUpdate"];
export type TemplateMessage = components["schemas"]["TemplateMessageIn"];
export type PreviewOut = components["schemas"]["TemplatePreviewOut"];
export type UsageReport = components["schemas"]["UsageReport"];
export type UsageGroupBy = UsageReport["group_by"];
export type StepUsage = components["schemas"]["StepUsage"];

const TEMPLATES = ["ai-templates"] as const;

export function useTemplates() {
  return useQuery({ queryKey: TEMPLATES, queryFn: () => unwrap(api.GET("/api/ai/templates")) });
}

export function useTemplate(name: string | null) {
  return useQuery({
    queryKey: [...TEMPLATES, name],
    enabled: name !== null,
    queryFn: () => unwrap(api.GET("/api/ai/templates/{name}", { params: { path: { name: name ?? "" } } })),
  });
}

/** One saved version (null: none asked for). */
export function useTemplateVersion(name: string | null, version: number | null) {
  return useQuery({
    queryKey: [...TEMPLATES, name, "v", version],
    enabled: name !== null && version !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/ai/templates/{name}/versions/{version}", {
          params: { path: { name: name ?? "", version: version ?? 1 } },
        }),
      ),
  });
}

function useInvalidating<TIn, TOut>(fn: (input: TIn) => Promise<TOut>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: fn, onSuccess: () => client.invalidateQueries({ queryKey: TEMPLATES }) });
}

export function useCreateTemplate() {
  return useInvalidating((body: TemplateIn) => unwrap(api.POST("/api/ai/templates", { body })));
}

/** A save: the server makes a new version. */
export function useSaveTemplate() {
  return useInvalidating(({ name, body }: { name: string; body: TemplateUpdate }) =>
    unwrap(api.PUT("/api/ai/templates/{name}", { params: { path: { name } }, body })),
  );
}

export function useDeleteTemplate() {
  return useInvalidating((name: string) =>
    unwrap(api.DELETE("/api/ai/templates/{name}", { params: { path: { name } } })),
  );
}

/** Render the editor's (unsaved) content with its sample variables. */
export function usePreview() {
  return useMutation({
    mutationFn: (body: components["schemas"]["TemplatePreviewIn"]) =>
      unwrap(api.POST("/api/ai/templates/preview", { body })),
  });
}

/** Tokens and cost per group since `from` (a UTC day). */
export function useUsage(groupBy: UsageGroupBy, from: string, limit = 10) {
  return useQuery({
    queryKey: ["ai-usage", groupBy, from, limit],
    queryFn: () => unwrap(api.GET("/api/ai/usage", { params: { query: { group_by: groupBy, from, limit } } })),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
    refetchIntervalInBackground: false,
  });
}
