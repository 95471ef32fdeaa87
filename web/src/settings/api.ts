import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { ME_KEY, type User } from "../auth/session";

export type ApiKeyOut = components["schemas"]["ApiKeyOut"];
export type ApiKeyCreated = components["schemas"]["ApiKeyCreated"];
export type Role = User["role"];
export const ROLES: Role[] = ["owner", "admin", "editor", "viewer"];

const KEYS_KEY = ["api-keys"] as const;
const USERS_KEY = ["users"] as const;

/** Owners and admins manage users (the server decides the details and answers 403 otherwise). */
export function canManageUsers(role: string | undefined): boolean {
  return role === "owner" || role === "admin";
}

/** "3" → 3; empty → null (never expires); anything else → an error message. */
export function parseExpiry(text: string): { days: number | null; error?: string } {
  const t = text.trim();
  if (!t) return { days: null };
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > 3650) {
    return { days: null, error: "Expiry: a whole number of days from 1 to 3650, or empty for never" };
  }
  return { days: n };
}

function patchUser(id: number, body: components["schemas"]["UserUpdate"]) {
  return unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: id } }, body }));
}

export function useUpdateProfile() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name }: { id: number; name: string }) => patchUser(id, { name }),
    onSuccess: (user) => {
      client.setQueryData(ME_KEY, user);
      void client.invalidateQueries({ queryKey: USERS_KEY });
    },
  });
}

/** A new password ends every session of the user (the server says so by a new token version),
 * so the browser logs in again at once with the new password. */
export function useChangePassword() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async (input: { user: User; current: string; password: string }) => {
      await patchUser(input.user.id, { password: input.password, current_password: input.current });
      return unwrap(
        api.POST("/api/auth/session", { body: { email: input.user.email, password: input.password } }),
      );
    },
    onSuccess: (session) => client.setQueryData(ME_KEY, session.user),
  });
}

export function useApiKeys() {
  return useQuery({ queryKey: KEYS_KEY, queryFn: () => unwrap(api.GET("/api/api-keys")) });
}

export function useCreateApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; expires_in_days: number | null }) =>
      unwrap(api.POST("/api/api-keys", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: KEYS_KEY }),
  });
}

export function useRevokeApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/api/api-keys/{key_id}", { params: { path: { key_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: KEYS_KEY }),
  });
}

export function useUsers(enabled: boolean) {
  return useQuery({ queryKey: USERS_KEY, queryFn: () => unwrap(api.GET("/api/users")), enabled });
}

export function useCreateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: components["schemas"]["UserCreate"]) => unwrap(api.POST("/api/users", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: USERS_KEY }),
  });
}

export function useUpdateUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: number; role?: Role; is_active?: boolean; password?: string }) =>
      patchUser(id, body),
    onSuccess: () => client.invalidateQueries({ queryKey: USERS_KEY }),
  });
}

/** Delete another user (their API keys go with them; what they created stays). */
export function useDeleteUser() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/users/{user_id}", { params: { path: { user_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: USERS_KEY }),
  });
}
