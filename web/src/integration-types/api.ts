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
