/**
 * The typed API client. Types come from schema.d.ts, generated from the server's OpenAPI
 * schema (`make api-client`); never edit them by hand.
 *
 * The browser is authenticated by the HttpOnly session cookie, which scripts cannot read;
 * no token is ever kept in JavaScript or browser storage. Unsafe requests repeat the
 * wirework_csrf cookie as X-CSRF-Token.
 */
import createClient, { type Middleware } from "openapi-fetch";

import { ApiError } from "./errors";
import type { paths } from "./schema";

export const CSRF_COOKIE = "wirework_csrf";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** Fired when the server says the session is gone (401), except for log-in itself. */
export const sessionEvents = new EventTarget();
export const SESSION_EXPIRED = "expired";

const csrf: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method.toUpperCase())) {
      const token = readCookie(CSRF_COOKIE);
      if (token) request.headers.set("X-CSRF-Token", token);
    }
    return request;
  },
  onResponse({ request, response }) {
    const url = new URL(request.url);
    if (response.status === 401 && !url.pathname.startsWith("/api/auth/")) {
      sessionEvents.dispatchEvent(new Event(SESSION_EXPIRED));
    }
    return response;
  },
};

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  credentials: "same-origin",
  // Looked up on each call (not captured once), so tests can stand in for the network.
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(csrf);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call, or throw an ApiError with the server's message. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw ApiError.from(response.status, error);
  return data as T;
}
