import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";

export type User = components["schemas"]["UserOut"];
export const ME_KEY = ["me"] as const;
export const SETUP_KEY = ["setup"] as const;

export function useSetupStatus() {
  return useQuery({
    queryKey: SETUP_KEY,
    queryFn: () => unwrap(api.GET("/api/setup")),
    staleTime: 60_000,
  });
}

/** The logged-in user, or null (asking never fails with a 401). */
export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async () => (await unwrap(api.GET("/api/auth/session"))).user ?? null,
  });
}

export interface LoginInput {
  email: string;
  password: string;
}

/** Log in: the server sets the session cookies; the answer carries only the user. */
export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: LoginInput) => unwrap(api.POST("/api/auth/session", { body: input })),
    onSuccess: (session) => client.setQueryData(ME_KEY, session.user),
  });
}

/** First-run set-up: create the owner, then open a browser session as them. */
export function useSetup() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (input: LoginInput & { name: string }) => {
      await unwrap(api.POST("/api/setup", { body: input }));
      return unwrap(
        api.POST("/api/auth/session", { body: { email: input.email, password: input.password } }),
      );
    },
    onSuccess: (session) => {
      client.setQueryData(SETUP_KEY, { needs_setup: false });
      client.setQueryData(ME_KEY, session.user);
    },
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/auth/logout")),
    onSettled: () => client.clear(),
  });
}
