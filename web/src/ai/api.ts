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

/** A mutation that refreshes the queries under `key` once it succeeded. */
function useInvalidatingKey<TIn, TOut>(key: readonly string[], fn: (input: TIn) => Promise<TOut>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: fn, onSuccess: () => client.invalidateQueries({ queryKey: key }) });
}

function useInvalidating<TIn, TOut>(fn: (input: TIn) => Promise<TOut>) {
  return useInvalidatingKey(TEMPLATES, fn);
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

// --- prices and daily spending limits (the AI costs page) ---------------------------------

export type PriceOut = components["schemas"]["PriceOut"];
export type PriceIn = components["schemas"]["PriceIn"];
export type LimitOut = components["schemas"]["LimitOut"];
export type LimitIn = components["schemas"]["LimitIn"];

const PRICES = ["ai-prices"] as const;
const LIMITS = ["ai-limits"] as const;

/** Owners and admins change prices and limits; everyone else reads them (the API says 403). */
export function canChangeCosts(role: string | undefined): boolean {
  return role === "owner" || role === "admin";
}

export function usePrices() {
  return useQuery({ queryKey: PRICES, queryFn: () => unwrap(api.GET("/api/ai/prices")) });
}

export function useCreatePrice() {
  return useInvalidatingKey(PRICES, (body: PriceIn) => unwrap(api.POST("/api/ai/prices", { body })));
}

export function useUpdatePrice() {
  return useInvalidatingKey(PRICES, ({ id, body }: { id: number; body: PriceIn }) =>
    unwrap(api.PUT("/api/ai/prices/{price_id}", { params: { path: { price_id: id } }, body })),
  );
}

export function useDeletePrice() {
  return useInvalidatingKey(PRICES, (id: number) =>
    unwrap(api.DELETE("/api/ai/prices/{price_id}", { params: { path: { price_id: id } } })),
  );
}

/** The limits, each with what its scope spent today (UTC). */
export function useLimits() {
  return useQuery({
    queryKey: LIMITS,
    queryFn: () => unwrap(api.GET("/api/ai/limits")),
    refetchInterval: 60_000,
    refetchIntervalInBackground: false,
  });
}

/** Set (or replace) the limit of the instance or a workflow. */
export function useSetLimit() {
  return useInvalidatingKey(LIMITS, (body: LimitIn) => unwrap(api.PUT("/api/ai/limits", { body })));
}

export function useDeleteLimit() {
  return useInvalidatingKey(LIMITS, (id: number) =>
    unwrap(api.DELETE("/api/ai/limits/{limit_id}", { params: { path: { limit_id: id } } })),
  );
}

/** The instance's model calls of one UTC day (`day`: YYYY-MM-DD). */
export function useDayTotal(day: string) {
  return useQuery({
    queryKey: ["ai-usage", "day", day, day],
    queryFn: () => unwrap(api.GET("/api/ai/usage", { params: { query: { group_by: "day", from: day, to: day, limit: 1 } } })),
    refetchInterval: 60_000,
    refetchIntervalInBackground: false,
  });
}

/** Workflows whose name holds `search` (the API's largest page), to pick one by name. */
export function useWorkflowChoices(search: string, enabled: boolean) {
  const name = search.trim() || undefined;
  return useQuery({
    queryKey: ["workflows", "choices", name],
    enabled,
    queryFn: () => unwrap(api.GET("/api/workflows", { params: { query: { name, limit: 200 } } })),
    placeholderData: (previous) => previous,
  });
}
