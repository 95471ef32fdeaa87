/**
 * The expression library's endpoints: the catalogue of functions, filters and variables (for
 * autocomplete) and the live preview of a field's value. Types come from the generated client
 * (`make api-client`).
 */
import { useQuery } from "@tanstack/react-query";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import type { ExpressionScope } from "../types";

type Schemas = components["schemas"];

export type ExprFunctionKind = Schemas["ExprKind"];

/** A catalogue entry; only name and kind are needed to complete it (tests build partial ones). */
export type ExprFunction = Pick<Schemas["ExprFunctionOut"], "name" | "kind"> &
  Partial<Omit<Schemas["ExprFunctionOut"], "name" | "kind">>;

export type FunctionsOut = Schemas["FunctionsOut"];

export type PreviewOut = Schemas["PreviewOk"] | Schemas["PreviewError"];

export function fetchFunctions(): Promise<FunctionsOut> {
  return unwrap(api.GET("/api/expressions/functions"));
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
  const body: Schemas["PreviewIn"] = {
    expression,
    scope: { json: scope.json ?? {}, nodes: scope.nodes, trigger: scope.trigger ?? {}, vars: scope.vars ?? {} },
  };
  return unwrap(api.POST("/api/expressions/preview", { body, signal }));
}
