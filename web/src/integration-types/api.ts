import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type IntegrationTypeOut = components["schemas"]["IntegrationTypeOut"];
export type ParameterOut = components["schemas"]["ParameterOut"];
export type ParameterSpec = components["schemas"]["ParameterSpec"];
export type ActionSpec = components["schemas"]["ActionSpec"];
export type TypeCreate = components["schemas"]["IntegrationTypeCreate"];
export type TypeUpdate = components["schemas"]["IntegrationTypeUpdate"];

export const TYPES_KEY = ["integration-types"] as const;

export function useIntegrationTypes() {
  return useQuery({
    queryKey: TYPES_KEY,
    queryFn: () => unwrap(api.GET("/api/integration-types")),
  });
}

function useInvalidating<TIn, TOut>(fn: (input: TIn) => Promise<TOut>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: TYPES_KEY }),
  });
}

export function useCreateType() {
  return useInvalidating((body: TypeCreate) => unwrap(api.POST("/api/integration-types", { body })));
}

export function useUpdateType() {
  return useInvalidating(({ id, body }: { id: number; body: TypeUpdate }) =>
    unwrap(api.PUT("/api/integration-types/{type_id}", { params: { path: { type_id: id } }, body })),
  );
}

export function useDeleteType() {
  return useInvalidating((id: number) =>
    unwrap(api.DELETE("/api/integration-types/{type_id}", { params: { path: { type_id: id } } })),
  );
}

/** Where an OpenAPI description comes from: a file, its text (JSON or YAML), or a URL. */
export type ImportSource = { file: File } | { spec: string } | { url: string };

export interface ImportInput {
  source: ImportSource;
  key?: string | undefined;
  name?: string | undefined;
  base_url?: string | undefined;
}

export function useImportOpenApi() {
  return useInvalidating(({ source, key, name, base_url }: ImportInput) => {
    const query = {
      ...(key ? { key } : {}),
      ...(name ? { name } : {}),
      ...(base_url ? { base_url } : {}),
    };
    if ("file" in source) {
      const form = new FormData();
      form.append("file", source.file);
      return unwrap(
        api.POST("/api/integration-types/import-openapi", {
          params: { query },
          body: form as never,
          bodySerializer: (b: unknown) => b as FormData,
        }),
      );
    }
    return unwrap(api.POST("/api/integration-types/import-openapi", { params: { query }, body: source }));
  });
}
