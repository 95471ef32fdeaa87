/** A stand-in for the network in component tests: answers fetch() from a table of routes
 * and records every request. (End-to-end tests use the real server.) */
import { vi } from "vitest";

export type Handler = (request: Request) => unknown | Response | Promise<unknown | Response>;

export interface FakeApi {
  requests: Request[];
  restore: () => void;
}

export function fakeApi(routes: Record<string, Handler>): FakeApi {
  const requests: Request[] = [];
  const original = globalThis.fetch;
  const fake = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push(request.clone());
    const url = new URL(request.url);
    const handler = routes[`${request.method} ${url.pathname}`];
    if (!handler) {
      return json({ detail: `no route ${request.method} ${url.pathname}`, code: "not_found", errors: [] }, 404);
    }
    const out = await handler(request);
    return out instanceof Response ? out : json(out);
  });
  globalThis.fetch = fake as typeof fetch;
  return { requests, restore: () => (globalThis.fetch = original) };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
