import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import { ApiError } from "../api/errors";
import type { components } from "../api/schema";
import { activeParam, type ActiveFilter } from "./listing";

export type WorkflowOut = components["schemas"]["WorkflowOut"];
export type ExecutionOut = components["schemas"]["ExecutionOut"];
export type TagCount = components["schemas"]["TagCount"];
const KEY = ["workflows"] as const;
/** The API's largest page; more than that needs paging (later). */
export const PAGE_SIZE = 200;

export function useWorkflows(search: string, active: ActiveFilter, tags: readonly string[] = []) {
  const name = search.trim() || undefined;
  const tag = tags.length ? [...tags] : undefined;
  return useQuery({
    queryKey: [...KEY, { name, active, tag }],
    queryFn: () =>
      unwrap(
        api.GET("/api/workflows", {
          params: { query: { name, active: activeParam(active), tag, limit: PAGE_SIZE } },
        }),
      ),
    placeholderData: (previous) => previous,
  });
}

/** Every tag in use with its number of workflows (suggestions and the tag filter). */
export function useWorkflowTags() {
  return useQuery({
    queryKey: [...KEY, "tags"],
    queryFn: () => unwrap(api.GET("/api/workflows/tags")),
  });
}

/** Replace a workflow's tags (a new version); `version` makes a stale edit fail with 409. */
export function useSetTags() {
  return useInvalidating(({ id, tags, version }: { id: number; tags: string[]; version: number }) =>
    unwrap(
      api.PATCH("/api/workflows/{workflow_id}", {
        params: { path: { workflow_id: id } },
        body: { tags, version },
      }),
    ),
  );
}

function useInvalidating<TIn, TOut>(fn: (input: TIn) => Promise<TOut>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: KEY }),
  });
}

/** A new workflow holds one node (a workflow needs one): a manual trigger to start from. */
export const STARTER_NODES = [{ id: "start", name: "Start", type: "core.manual" }];

export function useCreateWorkflow() {
  return useInvalidating((name: string) =>
    unwrap(api.POST("/api/workflows", { body: { name, nodes: STARTER_NODES, connections: [] } })),
  );
}

export function useImportWorkflow() {
  return useInvalidating(({ text, format }: { text: string; format: "json" | "yaml" }) =>
    unwrap(
      api.POST("/api/workflows/import", {
        params: { query: { format } },
        // The body is the document as written: the server parses it (and names bad fields).
        body: text as never,
        bodySerializer: (body: unknown) => body as string,
        headers: { "Content-Type": format === "json" ? "application/json" : "application/yaml" },
      }),
    ),
  );
}

export function useSetActive() {
  return useInvalidating(({ id, active }: { id: number; active: boolean }) =>
    unwrap(
      active
        ? api.POST("/api/workflows/{workflow_id}/activate", { params: { path: { workflow_id: id } } })
        : api.POST("/api/workflows/{workflow_id}/deactivate", {
            params: { path: { workflow_id: id } },
          }),
    ),
  );
}

export function useDeleteWorkflow() {
  return useInvalidating((id: number) =>
    unwrap(api.DELETE("/api/workflows/{workflow_id}", { params: { path: { workflow_id: id } } })),
  );
}

export function useExecuteWorkflow() {
  return useMutation({
    mutationFn: async ({ id, input }: { id: number; input: unknown }) =>
      // The execution record (JSON): the event stream is only `?follow=true`'s answer.
      (await unwrap(
        api.POST("/api/workflows/{workflow_id}/execute", {
          params: { path: { workflow_id: id } },
          body: { input: input as never },
        }),
      )) as ExecutionOut,
  });
}

/** The document as a file to save: JSON or YAML, named after the workflow. */
export async function exportWorkflow(workflow: WorkflowOut, format: "json" | "yaml") {
  const { data, error, response } = await api.GET("/api/workflows/{workflow_id}/export", {
    params: { path: { workflow_id: workflow.id }, query: { format } },
    parseAs: "text",
  });
  if (!response.ok) {
    let body: unknown = error;
    try {
      body = JSON.parse(String(error));
    } catch {
      // not JSON: show the text
    }
    throw ApiError.from(response.status, body);
  }
  const type = format === "json" ? "application/json" : "application/yaml";
  const blob = new Blob([data ?? ""], { type });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `${slug(workflow.name) || `workflow-${workflow.id}`}.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
}
