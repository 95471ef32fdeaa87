import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";

import { fakeApi, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };
const param = (name: string, type = "string", extra: Record<string, unknown> = {}) => ({
  name,
  type,
  required: false,
  description: "",
  default: null,
  options: null,
  header_bound: false,
  ...extra,
});
const calendar = {
  id: 5,
  name: "cal",
  key: "cal",
  display_name: "Calendar",
  description: "",
  parameters: [
    param("grant", "select", { options: ["client_credentials", "authorization_code"], default: "authorization_code" }),
    param("client_id"),
    param("token_url"),
    param("authorize_url"),
  ],
  actions: [],
  builtin: false,
  has_tester: false,
  http: { base_url: "https://cal.example", auth: { kind: "oauth2" } },
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
};
const base = { type: "cal", integration_type_id: 5, active: true, allowed_hosts: null, created_at: "2026-11-01T00:00:00Z", updated_at: "2026-11-01T00:00:00Z" };
const unconnected = { ...base, id: 1, name: "Team calendar", credentials: { grant: "authorization_code", client_id: "c" } };
const machine = { ...base, id: 2, name: "Robot calendar", credentials: { grant: "client_credentials", client_id: "c" } };

let server: FakeApi | undefined;
afterEach(() => {
  server?.restore();
  vi.restoreAllMocks();
});

describe("OAuth2 Connect", () => {
  it("opens the provider in a popup, then shows the integration connected", async () => {
    let connected = false;
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: owner }),
      "GET /api/integration-types": () => [calendar],
      "GET /api/integrations": () => [
        connected
          ? { ...unconnected, credentials: { ...unconnected.credentials, access_token: "********", refresh_token: "********", expires_at: 4_000_000_000 } }
          : unconnected,
        machine,
      ],
      "POST /api/integrations/1/oauth2/authorize": () => ({ authorize_url: "https://cal.example/authorize?state=s", state: "s" }),
    });
    const popup = { closed: false, close: vi.fn(), location: { href: "" } };
    const open = vi.spyOn(window, "open").mockReturnValue(popup as unknown as Window);
    renderApp("/integrations");
    const button = await screen.findByRole("button", { name: "Connect Team calendar" });
    expect(screen.getByText("Not connected")).toBeInTheDocument();
    // Client credentials: nothing to connect.
    expect(screen.queryByRole("button", { name: /Connect Robot calendar/ })).not.toBeInTheDocument();

    await userEvent.click(button);
    await waitFor(() => expect(popup.location.href).toBe("https://cal.example/authorize?state=s"));
    expect(open).toHaveBeenCalledOnce();
    const sent = server.requests.find((r) => r.url.endsWith("/oauth2/authorize"));
    expect(await sent!.clone().json()).toEqual({ redirect_uri: `${window.location.origin}/oauth2/callback` });

    connected = true;
    act(() => {
      window.dispatchEvent(
        new MessageEvent("message", { origin: window.location.origin, data: { type: "wirework-oauth2", ok: true, integration_id: 1, message: "Connected." } }),
      );
    });
    expect(await screen.findByText("Connected “Team calendar”.")).toBeInTheDocument();
    expect(await screen.findByRole("button", { name: "Reconnect Team calendar" })).toBeInTheDocument();
    expect(screen.getByText(/token expires/)).toBeInTheDocument();
  });

  it("ignores messages from other origins", async () => {
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: owner }),
      "GET /api/integration-types": () => [calendar],
      "GET /api/integrations": () => [unconnected],
    });
    renderApp("/integrations");
    await screen.findByRole("button", { name: "Connect Team calendar" });
    act(() => {
      window.dispatchEvent(new MessageEvent("message", { origin: "https://evil.example", data: { type: "wirework-oauth2", ok: true, message: "" } }));
    });
    expect(screen.queryByText(/Connected “/)).not.toBeInTheDocument();
  });
});

describe("the callback page", () => {
  it("hands code and state to the server and tells the opener", async () => {
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: owner }),
      "GET /api/oauth2/callback": () => ({ integration_id: 1, connected: true, expires_at: null, has_refresh_token: true }),
    });
    const opener = { closed: false, postMessage: vi.fn() };
    const before = Object.getOwnPropertyDescriptor(window, "opener");
    Object.defineProperty(window, "opener", { configurable: true, get: () => opener });
    onTestFinished(() => {
      if (before) Object.defineProperty(window, "opener", before);
      else delete (window as { opener?: unknown }).opener;
    });
    const close = vi.spyOn(window, "close").mockImplementation(() => undefined);
    renderApp("/oauth2/callback?code=abc&state=xyz");
    await waitFor(() => expect(opener.postMessage).toHaveBeenCalled());
    expect(opener.postMessage).toHaveBeenCalledWith(
      { type: "wirework-oauth2", ok: true, integration_id: 1, message: "Connected." },
      window.location.origin,
    );
    expect(close).toHaveBeenCalled();
    const call = server.requests.find((r) => new URL(r.url).pathname === "/api/oauth2/callback");
    expect(new URL(call!.url).searchParams.get("code")).toBe("abc");
    expect(new URL(call!.url).searchParams.get("state")).toBe("xyz");
  });

  it("says why when the provider refused", async () => {
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: owner }),
    });
    renderApp("/oauth2/callback?error=access_denied&error_description=User+said+no");
    expect(await screen.findByText("The provider refused: User said no")).toBeInTheDocument();
    expect(server.requests.some((r) => r.url.includes("/api/oauth2/callback"))).toBe(false);
  });
});
