import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";
import { forgetTests } from "./api";

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
const acme = {
  id: 7,
  name: "acme_api",
  key: "acme_api",
  display_name: "Acme API",
  description: "",
  parameters: [
    param("base_url", "string", { required: true }),
    param("token", "password", { required: true, description: "An API token" }),
    param("retries", "number", { default: 3 }),
    param("verify", "boolean", { default: true }),
    param("region", "select", { options: ["eu", "us"] }),
    param("headers", "json"),
  ],
  actions: [],
  builtin: false,
  has_tester: true,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
};
const stored = {
  id: 3,
  name: "Acme prod",
  type: "acme_api",
  integration_type_id: 7,
  credentials: { base_url: "https://acme.example", token: "********", retries: 3, verify: true },
  active: true,
  allowed_hosts: null,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
};

let server: FakeApi | undefined;
afterEach(() => {
  server?.restore();
  forgetTests();
});

function start(extra: Record<string, (r: Request) => unknown> = {}) {
  let items: (typeof stored)[] = [stored];
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: owner }),
    "GET /api/integration-types": () => [acme],
    "GET /api/integrations": () => items,
    "POST /api/integrations": async (req) => {
      const body = (await req.json()) as { name: string };
      const created = { ...stored, id: 4, name: body.name };
      items = [...items, created];
      return json(created, 201);
    },
    "POST /api/integrations/3/deactivate": () => {
      items = items.map((i) => (i.id === 3 ? { ...i, active: false } : i));
      return items[0];
    },
    ...extra,
  });
  return renderApp("/integrations");
}

function sent(method: string, path: string): Request[] {
  return server?.requests.filter((r) => r.method === method && new URL(r.url).pathname === path) ?? [];
}

async function lastBody(method: string, path: string): Promise<Record<string, unknown>> {
  const all = sent(method, path);
  expect(all.length, `${method} ${path} was sent`).toBeGreaterThan(0);
  return (await all[all.length - 1]!.clone().json()) as Record<string, unknown>;
}

describe("the integrations page", () => {
  it("lists integrations with their type and status, and toggles the status", async () => {
    start();
    const row = (await screen.findByText("Acme prod")).closest("tr")!;
    expect(row).toHaveTextContent("Acme API");
    expect(row).toHaveTextContent("hosts: default");
    expect(row).toHaveTextContent("not tested");
    const toggle = within(row).getByRole("switch", { name: "Active: Acme prod" });
    expect(toggle).toHaveAttribute("aria-checked", "true");
    await userEvent.setup().click(toggle);
    expect(await screen.findByText("“Acme prod” is now inactive.")).toBeInTheDocument();
    await waitFor(() => expect(toggle).toHaveAttribute("aria-checked", "false"));
  });

  it("creates one with a form generated from the type's parameters", async () => {
    start();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "New integration" }));
    const form = screen.getByRole("form", { name: "New integration" });
    await user.type(within(form).getByLabelText("Name"), "Acme staging");
    await user.selectOptions(within(form).getByLabelText("Type"), "7");

    expect(within(form).getByLabelText("base_url (required)")).toHaveAttribute("type", "text");
    expect(within(form).getByLabelText("token (required)")).toHaveAttribute("type", "password");
    expect(within(form).getByLabelText("token (required)")).toHaveAccessibleDescription("An API token");
    expect(within(form).getByLabelText("retries")).toHaveAttribute("type", "number");
    expect(within(form).getByLabelText("retries")).toHaveValue(3);
    expect(within(form).getByLabelText("verify")).toBeChecked();
    expect(within(form).getByLabelText("region").tagName).toBe("SELECT");
    expect(within(form).getByLabelText("headers").tagName).toBe("TEXTAREA");

    // Required fields and JSON are checked before anything is sent.
    await user.type(within(form).getByLabelText("headers"), "{{not json");
    await user.click(within(form).getByRole("button", { name: "Create integration" }));
    expect(within(form).getByText("base_url: required")).toBeInTheDocument();
    expect(within(form).getByText(/headers: not valid JSON/)).toBeInTheDocument();
    expect(within(form).getByLabelText("headers")).toHaveAttribute("aria-invalid", "true");
    expect(sent("POST", "/api/integrations")).toHaveLength(0);

    await user.clear(within(form).getByLabelText("headers"));
    await user.type(within(form).getByLabelText("headers"), '{{"X-Env": "staging"}');
    await user.type(within(form).getByLabelText("base_url (required)"), "https://staging.acme.example");
    await user.type(within(form).getByLabelText("token (required)"), "s3cret");
    await user.click(within(form).getByLabelText("verify"));
    await user.selectOptions(within(form).getByLabelText("region"), "us");
    await user.click(within(form).getByLabelText("Only these hosts"));
    await user.type(within(form).getByLabelText("Hosts, one a line"), "staging.acme.example{Enter}*.cdn.example");
    await user.click(within(form).getByRole("button", { name: "Create integration" }));
    expect(await screen.findByText("Created “Acme staging”.")).toBeInTheDocument();
    expect(await lastBody("POST", "/api/integrations")).toEqual({
      name: "Acme staging",
      integration_type_id: 7,
      credentials: {
        base_url: "https://staging.acme.example",
        token: "s3cret",
        retries: 3,
        verify: false,
        region: "us",
        headers: { "X-Env": "staging" },
      },
      allowed_hosts: ["staging.acme.example", "*.cdn.example"],
      active: true,
    });
  });

  it("edits without ever showing the stored secret: blank keeps it (sent as the mask)", async () => {
    start({
      "PATCH /api/integrations/3": async (req) => ({ ...stored, ...((await req.json()) as object) }),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit Acme prod" }));
    const form = screen.getByRole("form", { name: "Edit “Acme prod”" });
    const token = within(form).getByLabelText("token (required)");
    expect(token).toHaveValue("");
    expect(token).toHaveAttribute("type", "password");
    expect(token).toHaveAccessibleDescription(/leave blank to keep it/);
    expect(form.innerHTML).not.toContain("********");
    expect(within(form).getByLabelText("Type")).toBeDisabled();
    await user.clear(within(form).getByLabelText("base_url (required)"));
    await user.type(within(form).getByLabelText("base_url (required)"), "https://acme2.example");
    await user.click(within(form).getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("Saved “Acme prod”.")).toBeInTheDocument();
    const body = await lastBody("PATCH", "/api/integrations/3");
    expect(body.credentials).toEqual({ base_url: "https://acme2.example", token: "********", retries: 3, verify: true });
    expect(body.allowed_hosts).toBeNull();
  });

  it("tests a connection from the form (inline) and from the list (remembered)", async () => {
    let calls = 0;
    start({
      "POST /api/integrations/test": () => {
        calls += 1;
        return calls === 1
          ? { ok: false, supported: true, message: "HTTP 401 from acme.example" }
          : { ok: true, supported: true, message: "authenticated as bot" };
      },
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit Acme prod" }));
    const form = screen.getByRole("form", { name: "Edit “Acme prod”" });
    await user.click(within(form).getByRole("button", { name: "Test connection" }));
    const result = await within(form).findByRole("status", { name: "Connection test result" });
    expect(result).toHaveTextContent("Failed: HTTP 401 from acme.example");
    expect(await lastBody("POST", "/api/integrations/test")).toEqual({
      integration_id: 3,
      credentials: { base_url: "https://acme.example", token: "********", retries: 3, verify: true },
    });
    const row = screen.getByText("Acme prod").closest("tr")!;
    expect(row).toHaveTextContent("Failed at");

    await user.click(within(row).getByRole("button", { name: "Test connection of Acme prod" }));
    expect(await screen.findByText(/Connection test of “Acme prod”: Connected: authenticated as bot/)).toBeInTheDocument();
    expect(await lastBody("POST", "/api/integrations/test")).toEqual({ integration_id: 3 });
    expect(row).toHaveTextContent("Connected at");
  });

  it("deletes after confirmation; a 409 names the workflows using it", async () => {
    start({
      "DELETE /api/integrations/3": () =>
        json(
          {
            detail: "conflict: integration 3 is used by workflow(s) 1 ('Uses Acme'): remove it from them (or delete them) first",
            code: "conflict",
            errors: [],
          },
          409,
        ),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete Acme prod" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete integration?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("used by workflow(s) 1 ('Uses Acme')");
    expect(screen.getByRole("link", { name: "Uses Acme" })).toHaveAttribute("href", "/workflows/1");
    expect(screen.getByText("Acme prod")).toBeInTheDocument();
  });
});
