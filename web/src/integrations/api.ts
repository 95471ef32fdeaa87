import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type IntegrationOut = components["schemas"]["IntegrationOut"];
export type IntegrationCreate = components["schemas"]["IntegrationCreate"];
export type IntegrationUpdate = components["schemas"]["IntegrationUpdate"];
export type IntegrationTest = components["schemas"]["IntegrationTest"];
export type TestResult = components["schemas"]["IntegrationTestResult"];

const KEY = ["integrations"] as const;

export function useIntegrations() {
  return useQuery({ queryKey: KEY, queryFn: () => unwrap(api.GET("/api/integrations")) });
}

function useInvalidating<TIn, TOut>(fn: (input: TIn) => Promise<TOut>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: KEY }),
  });
}

export function useCreateIntegration() {
  return useInvalidating((body: IntegrationCreate) => unwrap(api.POST("/api/integrations", { body })));
}

export function useUpdateIntegration() {
  return useInvalidating(({ id, body }: { id: number; body: IntegrationUpdate }) =>
    unwrap(api.PATCH("/api/integrations/{integration_id}", { params: { path: { integration_id: id } }, body })),
  );
}

export function useSetIntegrationActive() {
  return useInvalidating(({ id, active }: { id: number; active: boolean }) =>
    unwrap(
      active
        ? api.POST("/api/integrations/{integration_id}/activate", { params: { path: { integration_id: id } } })
        : api.POST("/api/integrations/{integration_id}/deactivate", { params: { path: { integration_id: id } } }),
    ),
  );
}

export function useDeleteIntegration() {
  return useInvalidating((id: number) =>
    unwrap(api.DELETE("/api/integrations/{integration_id}", { params: { path: { integration_id: id } } })),
  );
}

/** Test a saved integration (optionally with changed credentials) or an unsaved one; the
 * result is remembered for the list when it is about a saved integration. */
export function useTestConnection() {
  return useMutation({
    mutationFn: (body: IntegrationTest) => unwrap(api.POST("/api/integrations/test", { body })),
    onSuccess: (result, body) => {
      if (body.integration_id) rememberTest(body.integration_id, result);
    },
  });
}

/** The last connection test of each integration in this browser session: kept in memory
 * only (nothing but the theme goes into browser storage), so a reload forgets it. */
export interface RememberedTest extends TestResult {
  at: Date;
}
let tests = new Map<number, RememberedTest>();
const listeners = new Set<() => void>();

export function rememberTest(id: number, result: TestResult) {
  tests = new Map(tests).set(id, { ...result, at: new Date() });
  listeners.forEach((l) => l());
}

export function forgetTests() {
  tests = new Map();
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLastTests(): Map<number, RememberedTest> {
  return useSyncExternalStore(subscribe, () => tests);
}
