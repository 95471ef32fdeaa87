import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { api, readCookie, SESSION_EXPIRED, sessionEvents, unwrap } from "./client";
import { ApiError } from "./errors";

let server: FakeApi | undefined;
afterEach(() => server?.restore());

describe("the API client", () => {
  it("reads cookies by exact name", () => {
    expect(readCookie("wirework_csrf", "a=1; wirework_csrf=x%3Dy; wirework_csrf2=z")).toBe("x=y");
    expect(readCookie("missing", "a=1")).toBeNull();
  });

  it("repeats the CSRF cookie as X-CSRF-Token on unsafe methods only", async () => {
    document.cookie = "wirework_csrf=tok123; path=/";
    server = fakeApi({
      "GET /api/workflows": () => ({ items: [], total: 0, limit: 50, offset: 0 }),
      "DELETE /api/workflows/1": () => new Response(null, { status: 204 }),
    });
    await unwrap(api.GET("/api/workflows"));
    await unwrap(api.DELETE("/api/workflows/{workflow_id}", { params: { path: { workflow_id: 1 } } }));
    const [get, del] = server.requests;
    expect(get?.headers.get("X-CSRF-Token")).toBeNull();
    expect(del?.headers.get("X-CSRF-Token")).toBe("tok123");
    expect(get?.headers.get("Authorization")).toBeNull(); // the cookie authenticates
  });

  it("throws the server's error and announces an expired session", async () => {
    let expired = 0;
    const listener = () => expired++;
    sessionEvents.addEventListener(SESSION_EXPIRED, listener);
    server = fakeApi({
      "GET /api/workflows": () =>
        json({ detail: "session expired; log in again", code: "unauthorized", errors: [] }, 401),
      "POST /api/auth/session": () =>
        json({ detail: "wrong e-mail or password", code: "unauthorized", errors: [] }, 401),
    });
    const error = await unwrap(api.GET("/api/workflows")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("session expired; log in again");
    expect(expired).toBe(1);
    // A wrong password at log-in is not an expired session.
    await unwrap(api.POST("/api/auth/session", { body: { email: "a@b.co", password: "x" } })).catch(() => null);
    expect(expired).toBe(1);
    sessionEvents.removeEventListener(SESSION_EXPIRED, listener);
  });
});
