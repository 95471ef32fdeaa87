import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";
import { canManageUsers, parseExpiry } from "./api";

const user = (id: number, email: string, role: string, extra: Record<string, unknown> = {}) => ({
  id,
  email,
  name: "",
  role,
  is_active: true,
  created_at: "2026-11-01T00:00:00Z",
  ...extra,
});
const me = user(1, "me@example.com", "admin", { name: "Me" });
const key = (id: number, name: string) => ({
  id,
  name,
  prefix: "ww_abc1234",
  user_id: 1,
  created_at: "2026-11-01T00:00:00Z",
  last_used_at: null,
  expires_at: null,
});

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function bodies(method: string, path: string) {
  return Promise.all(
    (server?.requests ?? [])
      .filter((r) => r.method === method && new URL(r.url).pathname === path)
      .map((r) => r.clone().json() as Promise<Record<string, unknown>>),
  );
}

function start(who = me, routes: Parameters<typeof fakeApi>[0] = {}) {
  let keys = [key(3, "ci")];
  let users = [who, user(2, "ed@example.com", "editor"), user(4, "boss@example.com", "owner")];
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: who }),
    "GET /api/api-keys": () => keys,
    "GET /api/ai/assistant": () => ({ configured: false, provider_types: ["openai"] }),
    "GET /api/integrations": () => [],
    "POST /api/api-keys": async (req) => {
      const body = (await req.json()) as { name: string };
      const created = { ...key(5, body.name), key: "ww_secret_key_value" };
      keys = [...keys, key(5, body.name)];
      return json(created, 201);
    },
    "DELETE /api/api-keys/3": () => {
      keys = keys.filter((k) => k.id !== 3);
      return new Response(null, { status: 204 });
    },
    "GET /api/users": () => users,
    "GET /api/system/workers": () => ({ stale_after_s: 30, alive: 0, stale: 0, workers: [] }),
    "GET /api/system/queue": () => ({
      mode: "embedded",
      executions: { queued: 0, running: 0, waiting: 0 },
      running_steps: 0,
      reported_running: 0,
      broker: null,
    }),
    "PATCH /api/users/2": async (req) => {
      const body = (await req.json()) as Record<string, unknown>;
      users = users.map((u) => (u.id === 2 ? { ...u, ...body } : u));
      return users.find((u) => u.id === 2);
    },
    "PATCH /api/users/4": () =>
      json({ detail: "forbidden: role: only an owner can change roles other than between editor and viewer", code: "forbidden", errors: [] }, 403),
    ...routes,
  });
  return renderApp("/settings");
}

describe("settings helpers", () => {
  it("parses the key's expiry", () => {
    expect(parseExpiry("")).toEqual({ days: null });
    expect(parseExpiry(" 30 ")).toEqual({ days: 30 });
    expect(parseExpiry("0").error).toMatch(/Expiry/);
    expect(parseExpiry("1.5").error).toMatch(/Expiry/);
    expect(parseExpiry("4000").error).toMatch(/Expiry/);
  });
  it("shows user management to owners and admins", () => {
    expect(["owner", "admin"].every(canManageUsers)).toBe(true);
    expect(["editor", "viewer", undefined].some(canManageUsers)).toBe(false);
  });
});

describe("the settings page", () => {
  it("saves the profile name", async () => {
    start(me, { "PATCH /api/users/1": async (req) => ({ ...me, ...((await req.json()) as object) }) });
    const name = await screen.findByLabelText("Name");
    const ui = userEvent.setup();
    await ui.clear(name);
    await ui.type(name, "Ada");
    await ui.click(screen.getByRole("button", { name: "Save profile" }));
    expect(await screen.findByText("Profile saved.")).toBeInTheDocument();
    expect(await bodies("PATCH", "/api/users/1")).toEqual([{ name: "Ada" }]);
  });

  it("changes the password with the current one, then logs in again", async () => {
    start(me, {
      "PATCH /api/users/1": () => me,
      "POST /api/auth/session": () => ({ user: me }),
    });
    const ui = userEvent.setup();
    await ui.type(await screen.findByLabelText("Current password"), "old password");
    await ui.type(screen.getByLabelText("New password"), "new password 1");
    await ui.type(screen.getByLabelText("Repeat the new password"), "new password 2");
    await ui.click(screen.getByRole("button", { name: "Change password" }));
    expect(screen.getByText("The new passwords differ.")).toBeInTheDocument();
    expect(await bodies("PATCH", "/api/users/1")).toEqual([]);

    await ui.clear(screen.getByLabelText("Repeat the new password"));
    await ui.type(screen.getByLabelText("Repeat the new password"), "new password 1");
    await ui.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/Password changed/)).toBeInTheDocument();
    expect(await bodies("PATCH", "/api/users/1")).toEqual([{ password: "new password 1", current_password: "old password" }]);
    expect(await bodies("POST", "/api/auth/session")).toEqual([{ email: me.email, password: "new password 1" }]);
  });

  it("shows a wrong current password as the API words it", async () => {
    start(me, {
      "PATCH /api/users/1": () =>
        json({ detail: "current_password: wrong password", code: "invalid_credentials", errors: [{ field: "current_password", message: "wrong password" }] }, 403),
    });
    const ui = userEvent.setup();
    await ui.type(await screen.findByLabelText("Current password"), "nope nope");
    await ui.type(screen.getByLabelText("New password"), "new password 1");
    await ui.type(screen.getByLabelText("Repeat the new password"), "new password 1");
    await ui.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("Could not change the password: current_password: wrong password")).toBeInTheDocument();
    expect(screen.getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");
  });

  it("creates an API key, shows it once with a copy button, and revokes after confirming", async () => {
    start();
    const ui = userEvent.setup();
    await ui.type(await screen.findByLabelText("Key name"), "deploy");
    await ui.type(screen.getByLabelText("Expires after (days, optional)"), "30");
    await ui.click(screen.getByRole("button", { name: "Create key" }));
    const shown = await screen.findByLabelText("The new API key");
    expect(shown).toHaveValue("ww_secret_key_value");
    expect(await bodies("POST", "/api/api-keys")).toEqual([{ name: "deploy", expires_in_days: 30 }]);
    await ui.click(screen.getByRole("button", { name: "Copy" }));
    expect(await screen.findByText("Copied.")).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe("ww_secret_key_value");
    await ui.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.queryByLabelText("The new API key")).toBeNull();
    expect(screen.queryByDisplayValue("ww_secret_key_value")).toBeNull();

    await ui.click(screen.getByRole("button", { name: "Revoke ci" }));
    const dialog = screen.getByRole("alertdialog", { name: "Revoke API key?" });
    await ui.click(within(dialog).getByRole("button", { name: "Revoke" }));
    expect(await screen.findByText("Revoked “ci”.")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("button", { name: "Revoke ci" })).toBeNull());
  });

  it("rejects a bad expiry before asking the server", async () => {
    start();
    const ui = userEvent.setup();
    await ui.type(await screen.findByLabelText("Key name"), "deploy");
    await ui.type(screen.getByLabelText("Expires after (days, optional)"), "0");
    await ui.click(screen.getByRole("button", { name: "Create key" }));
    expect(screen.getByText(/Expiry: a whole number/)).toBeInTheDocument();
    expect(await bodies("POST", "/api/api-keys")).toEqual([]);
  });

  it("lets an admin change roles and deactivate, and shows a 403 clearly", async () => {
    start();
    const ui = userEvent.setup();
    const role = await screen.findByLabelText("Role of ed@example.com");
    await ui.selectOptions(role, "viewer");
    expect(await screen.findByText("ed@example.com is now viewer.")).toBeInTheDocument();
    expect(await bodies("PATCH", "/api/users/2")).toEqual([{ role: "viewer" }]);

    await ui.click(screen.getByRole("button", { name: "Deactivate ed@example.com" }));
    const dialog = screen.getByRole("alertdialog", { name: "Deactivate user?" });
    await ui.click(within(dialog).getByRole("button", { name: "Deactivate" }));
    expect(await screen.findByText("Deactivated ed@example.com.")).toBeInTheDocument();
    await screen.findByRole("button", { name: "Reactivate ed@example.com" });

    await ui.selectOptions(screen.getByLabelText("Role of boss@example.com"), "viewer");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(
      "Could not change the role of boss@example.com: forbidden: role: only an owner can change roles other than between editor and viewer",
    );
    expect(alert).toHaveTextContent("code: forbidden");
    expect(screen.getByLabelText("Role of boss@example.com")).toHaveValue("owner");
  });

  it("sets another user's password, and deletes a user after confirming", async () => {
    start(me, {
      "DELETE /api/users/2": () => new Response(null, { status: 204 }),
      "DELETE /api/users/4": () => json({ detail: "conflict: the last owner cannot be deleted", code: "conflict", errors: [] }, 409),
    });
    const ui = userEvent.setup();
    await ui.click(await screen.findByRole("button", { name: "Set a new password for ed@example.com" }));
    const form = screen.getByRole("form", { name: "New password for ed@example.com" });
    const field = within(form).getByLabelText("New password for ed@example.com");
    expect(field).toHaveFocus();
    expect(within(form).getByRole("button", { name: "Set password" })).toBeDisabled(); // 8 characters at least
    await ui.type(field, "a fresh password");
    await ui.click(within(form).getByRole("button", { name: "Set password" }));
    expect(await screen.findByText("New password set for ed@example.com; their sessions have ended.")).toBeInTheDocument();
    expect(await bodies("PATCH", "/api/users/2")).toEqual([{ password: "a fresh password" }]);
    expect(screen.queryByRole("form", { name: "New password for ed@example.com" })).toBeNull();

    await ui.click(screen.getByRole("button", { name: "Set a new password for boss@example.com" }));
    await ui.keyboard("{Escape}");
    expect(screen.queryByRole("form", { name: /New password for/ })).toBeNull();

    await ui.click(screen.getByRole("button", { name: "Delete ed@example.com" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete user?" });
    expect(dialog).toHaveTextContent("ed@example.com and their API keys are deleted for good.");
    await ui.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Deleted ed@example.com.")).toBeInTheDocument();
    expect((server?.requests ?? []).filter((r) => r.method === "DELETE").map((r) => new URL(r.url).pathname)).toEqual([
      "/api/users/2",
    ]);

    await ui.click(screen.getByRole("button", { name: "Delete boss@example.com" }));
    await ui.click(within(screen.getByRole("alertdialog", { name: "Delete user?" })).getByRole("button", { name: "Delete" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not delete boss@example.com: conflict: the last owner cannot be deleted");
    expect(screen.queryByRole("button", { name: "Delete me@example.com" })).toBeNull(); // never yourself
  });

  it("hides the users section from editors", async () => {
    start(user(9, "ed@example.com", "editor"));
    await screen.findByRole("heading", { name: "API keys" });
    expect(screen.queryByRole("heading", { name: "Users" })).toBeNull();
    expect((server?.requests ?? []).some((r) => new URL(r.url).pathname === "/api/users")).toBe(false);
  });
});
