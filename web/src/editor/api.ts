/** The editor's calls: the workflow and its versions, node types, save, activate, run (and
 * follow), test a node, the test webhook, an execution. */
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import type { DocNode, Item, NodeTypeMeta } from "./types";
import type { WorkflowDoc } from "./model/document";

export type WorkflowOut = components["schemas"]["WorkflowOut"];
export type ExecutionOut = components["schemas"]["ExecutionOut"];
export type VersionSummary = components["schemas"]["WorkflowVersionSummary"];
export type VersionOut = components["schemas"]["WorkflowVersionOut"];
export type WebhookTest = components["schemas"]["WebhookTestOut"];

export const workflowKey = (id: number) => ["workflows", "one", id] as const;

export function useWorkflow(id: number) {
  return useQuery({
    queryKey: workflowKey(id),
    queryFn: () => unwrap(api.GET("/api/workflows/{workflow_id}", { params: { path: { workflow_id: id } } })),
    // The editor owns its copy once loaded; a refetch would not replace what is being edited.
    staleTime: Infinity,
  });
}

export function useNodeTypes() {
  return useQuery({
    queryKey: ["node-types"],
    queryFn: async () => (await unwrap(api.GET("/api/node-types"))) as unknown as NodeTypeMeta[],
    staleTime: 5 * 60_000,
  });
}

export async function fetchWorkflow(id: number): Promise<WorkflowOut> {
  return unwrap(api.GET("/api/workflows/{workflow_id}", { params: { path: { workflow_id: id } } }));
}

/** Save the document as a new version (409 when `version` is not the newest any more). */
export async function saveWorkflow(id: number, doc: WorkflowDoc, version: number): Promise<WorkflowOut> {
  return unwrap(
    api.PUT("/api/workflows/{workflow_id}", {
      params: { path: { workflow_id: id } },
      body: { ...doc, description: doc.description ?? "", version } as never,
    }),
  );
}

export async function setActive(id: number, active: boolean): Promise<WorkflowOut> {
  const path = { params: { path: { workflow_id: id } } };
  return unwrap(active ? api.POST("/api/workflows/{workflow_id}/activate", path) : api.POST("/api/workflows/{workflow_id}/deactivate", path));
}

export function useVersions(id: number, enabled: boolean) {
  return useQuery({
    queryKey: ["workflows", "versions", id],
    queryFn: () => unwrap(api.GET("/api/workflows/{workflow_id}/versions", { params: { path: { workflow_id: id } } })),
    enabled,
  });
}

export async function fetchVersion(id: number, version: number): Promise<VersionOut> {
  return unwrap(api.GET("/api/workflows/{workflow_id}/versions/{version}", { params: { path: { workflow_id: id, version } } }));
}

/** Start the newest saved version and follow it (`?follow=true`): the body of server-sent
 * events (`started` with the execution's id, then its events from its very start). A refused
 * run (404, 422, 403, …) throws the API's error, as any call. */
export async function executeFollowing(id: number, signal?: AbortSignal): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
  const body = await unwrap(
    api.POST("/api/workflows/{workflow_id}/execute", {
      params: { path: { workflow_id: id }, query: { follow: true } },
      body: { input: null },
      parseAs: "stream",
      ...(signal ? { signal } : {}),
    }),
  );
  if (!body) throw new Error("the server answered the run without its events");
  return body;
}

/** Run one node (as it is in the editor, saved or not) on sample items. */
export async function testNode(id: number, node: DocNode, items: Item[]): Promise<ExecutionOut> {
  return unwrap(
    api.POST("/api/workflows/{workflow_id}/nodes/{node_id}/test", {
      params: { path: { workflow_id: id, node_id: node.id } },
      body: { items, node } as never,
    }),
  );
}

export async function fetchExecution(id: string): Promise<ExecutionOut> {
  return unwrap(api.GET("/api/executions/{execution_id}", { params: { path: { execution_id: id } } }));
}

export async function armTestWebhook(id: number): Promise<WebhookTest> {
  return unwrap(api.POST("/api/workflows/{workflow_id}/test-webhook", { params: { path: { workflow_id: id } } }));
}

export async function getTestWebhook(id: number): Promise<WebhookTest> {
  return unwrap(api.GET("/api/workflows/{workflow_id}/test-webhook", { params: { path: { workflow_id: id } } }));
}

export async function disarmTestWebhook(id: number): Promise<void> {
  await unwrap(api.DELETE("/api/workflows/{workflow_id}/test-webhook", { params: { path: { workflow_id: id } } }));
}

/** Workflows to pick an error workflow from. */
export function useWorkflowChoices(enabled: boolean) {
  return useQuery({
    queryKey: ["workflows", "names"],
    queryFn: () => unwrap(api.GET("/api/workflows", { params: { query: { limit: 200 } } })),
    select: (page) => page.items.map((w) => ({ id: w.id, name: w.name })),
    staleTime: 30_000,
    enabled,
  });
}
