/**
 * The expression library's endpoints: the catalogue of functions and filters (for
 * autocomplete) and the live preview of a field's value.
 *
 * TODO(api-client): `GET /api/expressions/functions` and `POST /api/expressions/preview` are
 * being built in parallel and are not in the generated client yet. They are called through
 * `api` (which keeps the CSRF header) with the narrow local types below; once the lead has run
 * `make api-client`, drop the casts and use the generated types.
 */
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import type { ExpressionScope } from "../types";

export type ExprFunctionKind = "function" | "filter" | "variable";

export interface ExprFunction {
  name: string;
  kind: ExprFunctionKind;
  group?: string;
  signature?: string;
  description?: string;
  examples?: { expression: string; result: unknown }[];
}

export interface FunctionsOut {
  functions: ExprFunction[];
}

export type PreviewOut =
  | { ok: true; value: unknown; type?: string }
  | { ok: false; error: string };

// The generated client does not know these paths yet (TODO(api-client)).
interface UntypedClient {
  GET(path: string, init?: unknown): Promise<{ data?: unknown; error?: unknown; response: Response }>;
  POST(path: string, init?: unknown): Promise<{ data?: unknown; error?: unknown; response: Response }>;
}
const untyped = api as unknown as UntypedClient;

export function fetchFunctions(): Promise<FunctionsOut> {
  return unwrap(untyped.GET("/api/expressions/functions")) as Promise<FunctionsOut>;
}

/** The catalogue, fetched once per session (it changes only with the server's version). */
export function useExpressionFunctions(enabled = true) {
  return useQuery({
    queryKey: ["expression-functions"],
    queryFn: fetchFunctions,
    staleTime: Infinity,
    enabled,
  });
}

export function previewExpression(expression: string, scope: ExpressionScope, signal?: AbortSignal): Promise<PreviewOut> {
  const body = { expression, scope: { json: scope.json ?? {}, nodes: scope.nodes, trigger: scope.trigger ?? {}, vars: scope.vars ?? {} } };
  return unwrap(untyped.POST("/api/expressions/preview", { body, signal })) as Promise<PreviewOut>;
}
