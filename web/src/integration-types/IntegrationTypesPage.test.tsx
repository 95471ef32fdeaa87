import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
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
const builtin = {
  id: 1,
  name: "slack",
  key: "slack",
  display_name: "Slack",
  description: "Chat",
  parameters: [param("token", "password", { required: true })],
  actions: [{ name: "post", display_name: "Post a message", description: "", parameters: [param("text")] }],
  builtin: true,
  has_tester: true,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
};
const custom = {
  ...builtin,
  id: 2,
  name: "acme_api",
  key: "acme_api",
  display_name: "Acme API",
  description: "",
  parameters: [param("base_url", "string", { required: true }), param("region", "select", { options: ["eu", "us"], default: "eu" })],
  actions: [],
  builtin: false,
  has_tester: false,
};

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function start(extra: Record<string, (r: Request) => unknown> = {}) {
  let items: unknown[] = [builtin, custom];
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: owner }),
    "GET /api/integration-types": () => items,
    "POST /api/integration-types": async (req) => {
      const body = (await req.json()) as { name: string };
      const created = { ...custom, id: 3, key: "new_api", name: "new_api", display_name: body.name, parameters: [] };
      items = [...items, created];
      return json(created, 201);
    },
    ...extra,
  });
  return renderApp("/integration-types");
}

async function bodyOf(method: string, path: string): Promise<Record<string, unknown>> {
  const req = server?.requests.find((r) => r.method === method && new URL(r.url).pathname === path);
  expect(req, `${method} ${path} was sent`).toBeDefined();
  return (await req!.clone().json()) as Record<string, unknown>;
}

describe("the integration types page", () => {
  it("shows the catalogue: fields and actions, edit/delete only for custom types", async () => {
    start();
    const slack = await screen.findByRole("article", { name: "Slack" });
    expect(within(slack).getByText("built in", { exact: false })).toBeInTheDocument();
    expect(within(slack).getByRole("table", { name: "Credential fields of Slack" })).toHaveTextContent("token");
    expect(within(slack).getByText("slack.post")).toBeInTheDocument();
    expect(within(slack).queryByRole("button", { name: "Edit Slack" })).toBeNull();
    const acme = screen.getByRole("article", { name: "Acme API" });
    expect(within(acme).getByText("select (eu, us)")).toBeInTheDocument();
    expect(within(acme).getByRole("button", { name: "Edit Acme API" })).toBeInTheDocument();
  });

  it("creates a type with the parameter builder: rows added, typed, reordered, removed", async () => {
    start();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "New type" }));
    const form = screen.getByRole("form", { name: "New integration type" });
    expect(form.querySelector("h2")).toHaveFocus();
    await user.type(within(form).getByLabelText("Display name"), "New API");

    const fields = within(form).getByRole("group", { name: "Credential fields" });
    for (let i = 0; i < 3; i += 1) await user.click(within(fields).getByRole("button", { name: "Add parameter" }));
    const p1 = within(fields).getByRole("group", { name: "Parameter 1" });
    await user.type(within(p1).getByLabelText("Name"), "token");
    await user.selectOptions(within(p1).getByLabelText("Type"), "password");
    await user.click(within(p1).getByLabelText("Required"));
    const p2 = within(fields).getByRole("group", { name: "Parameter 2" });
    await user.type(within(p2).getByLabelText("Name"), "region");
    await user.selectOptions(within(p2).getByLabelText("Type"), "select");
    await user.type(within(p2).getByLabelText("Options (comma-separated)"), "eu, us");
    await user.type(within(p2).getByLabelText("Default"), "us");
    await user.type(within(p2).getByLabelText("Description"), "Where");
    const p3 = within(fields).getByRole("group", { name: "Parameter 3" });
    await user.type(within(p3).getByLabelText("Name"), "junk");
    await user.click(within(fields).getByRole("button", { name: "Remove Parameter 3 (junk)" }));
    // region first, then token
    await user.click(within(fields).getByRole("button", { name: "Move Parameter 2 (region) up" }));
    expect(within(fields).getAllByLabelText("Name").map((i) => (i as HTMLInputElement).value)).toEqual(["region", "token"]);

    await user.click(within(form).getByRole("button", { name: "Add action" }));
    const action = within(form).getByRole("group", { name: "Action 1" });
    await user.type(within(action).getByLabelText("Action name"), "ping");
    const actionParams = within(action).getByRole("group", { name: "Parameters of ping" });
    await user.click(within(actionParams).getByRole("button", { name: "Add parameter" }));
    await user.type(within(actionParams).getByLabelText("Name"), "count");
    await user.selectOptions(within(actionParams).getByLabelText("Type"), "number");

    await user.click(within(form).getByRole("button", { name: "Create type" }));
    expect(await screen.findByText("Created “New API” (key new_api).")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "New type" })).toHaveFocus();
    expect(await bodyOf("POST", "/api/integration-types")).toEqual({
      name: "New API",
      description: "",
      parameters: [
        { name: "region", type: "select", required: false, description: "Where", options: ["eu", "us"], default: "us" },
        { name: "token", type: "password", required: true, description: "" },
      ],
      actions: [
        {
          name: "ping",
          display_name: "",
          description: "",
          parameters: [{ name: "count", type: "number", required: false, description: "" }],
        },
      ],
    });
  });

  it("checks rows before sending, and shows the API's error", async () => {
    start({
      "POST /api/integration-types": () =>
        json({ detail: "conflict: key: an integration type with key 'acme_api' already exists", code: "conflict", errors: [] }, 409),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "New type" }));
    const form = screen.getByRole("form", { name: "New integration type" });
    await user.type(within(form).getByLabelText("Display name"), "Acme API");
    await user.click(within(form).getByRole("button", { name: "Add parameter" }));
    await user.click(within(form).getByRole("button", { name: "Create type" }));
    expect(within(form).getByText("name: required")).toBeInTheDocument();
    expect(server?.requests.some((r) => r.method === "POST")).toBe(false);

    await user.type(within(form).getByLabelText("Name"), "base_url");
    await user.click(within(form).getByRole("button", { name: "Create type" }));
    expect(await within(form).findByText(/already exists/)).toBeInTheDocument();
  });

  it("edits a custom type with PUT, starting from its rows", async () => {
    start({
      "PUT /api/integration-types/2": async (req) => ({ ...custom, ...((await req.json()) as object) }),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit Acme API" }));
    const form = screen.getByRole("form", { name: "Edit “Acme API”" });
    expect(within(form).getAllByLabelText("Name").map((i) => (i as HTMLInputElement).value)).toEqual(["base_url", "region"]);
    await user.click(within(form).getByRole("button", { name: "Move Parameter 2 (region) up" }));
    await user.click(within(form).getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText(/Saved “Acme API”/)).toBeInTheDocument();
    const body = await bodyOf("PUT", "/api/integration-types/2");
    expect(body.display_name).toBe("Acme API");
    expect((body.parameters as { name: string }[]).map((p) => p.name)).toEqual(["region", "base_url"]);
    expect((body.parameters as { default?: unknown }[])[0]?.default).toBe("eu");
  });

  it("deletes after confirmation, and shows a 409 when the type is in use", async () => {
    start({
      "DELETE /api/integration-types/2": () =>
        json({ detail: "conflict: integration type 'acme_api' is used by 1 integration(s); delete them first", code: "conflict", errors: [] }, 409),
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete Acme API" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete integration type?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("is used by 1 integration(s)");
    expect(alert).toHaveTextContent("code: conflict");
    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
  });
});

describe("declarative HTTP types", () => {
  const declarative = {
    ...custom,
    id: 4,
    name: "items",
    key: "items",
    display_name: "Items",
    parameters: [param("api_key", "password", { required: true })],
    http: { base_url: "https://items.example/v1", auth: { kind: "api_key_header", name: "X-Api-Key", field: "api_key" } },
    actions: [
      {
        name: "get_item",
        display_name: "",
        description: "",
        parameters: [param("id", "string", { required: true })],
        request: { method: "GET", path: "/items/{{ params.id }}", query: { full: "true" }, headers: {}, jmespath: "item" },
      },
    ],
  };

  it("creates a type with a base URL, an auth scheme and an action's request", async () => {
    start();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "New type" }));
    const form = screen.getByRole("form", { name: "New integration type" });
    await user.type(within(form).getByLabelText("Display name"), "Bearer API");
    const http = within(form).getByRole("group", { name: "HTTP" });
    await user.click(within(http).getByLabelText(/Actions send HTTP requests/));
    await user.type(within(http).getByLabelText("Base URL"), "https://api.example/v2");
    await user.selectOptions(within(http).getByLabelText("Auth scheme"), "bearer");
    await user.clear(within(http).getByLabelText("Credential field with the token"));
    await user.type(within(http).getByLabelText("Credential field with the token"), "token");
    await user.click(within(http).getByRole("button", { name: "Add it" }));
    await user.click(within(form).getByRole("button", { name: "Add action" }));
    const action = within(form).getByRole("group", { name: "Action 1" });
    await user.type(within(action).getByLabelText("Action name"), "list");
    const request = within(action).getByRole("group", { name: "HTTP request of list" });
    await user.selectOptions(within(request).getByLabelText("Method"), "POST");
    await user.click(within(request).getByRole("button", { name: "Add query parameter" }));
    await user.type(within(request).getByLabelText("Name of query parameter 1"), "page");
    await user.type(within(request).getByLabelText("Value of query parameter 1"), "2");
    await user.click(within(form).getByRole("button", { name: "Create type" }));
    expect(await screen.findByText(/Created “Bearer API”/)).toBeInTheDocument();
    const body = await bodyOf("POST", "/api/integration-types");
    expect(body.http).toEqual({ base_url: "https://api.example/v2", auth: { kind: "bearer", field: "token" } });
    expect(body.parameters).toEqual([{ name: "token", type: "password", required: true, description: "" }]);
    expect((body.actions as { request: unknown }[])[0]?.request).toEqual({ method: "POST", path: "/", query: { page: "2" }, headers: {} });
  });

  it("edits what was saved, and shows the server's 422 beside the field it names", async () => {
    start({
      "GET /api/integration-types": () => [declarative],
      "PUT /api/integration-types/4": () =>
        json(
          {
            detail: "invalid input",
            code: "validation_error",
            errors: [{ field: "actions[0].request.path", message: "expression: unexpected end of template" }],
          },
          422,
        ),
    });
    const user = userEvent.setup();
    const card = await screen.findByRole("article", { name: "Items" });
    expect(within(card).getByText("GET /items/{{ params.id }}")).toBeInTheDocument();
    expect(within(card).getByText(/API key in a header \(X-Api-Key\)/)).toBeInTheDocument();
    await user.click(within(card).getByRole("button", { name: "Edit Items" }));
    const form = screen.getByRole("form", { name: "Edit “Items”" });
    expect(within(form).getByLabelText("Base URL")).toHaveValue("https://items.example/v1");
    expect(within(form).getByLabelText("Header name")).toHaveValue("X-Api-Key");
    const request = within(form).getByRole("group", { name: "HTTP request of get_item" });
    const path = within(request).getByRole("textbox", { name: "Path" });
    expect(path).toHaveTextContent("/items/{{ params.id }}");
    expect(within(request).getByLabelText("Response mapping")).toHaveValue("jmespath");
    await user.click(within(form).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(path).toHaveAttribute("aria-invalid", "true"));
    expect(within(request).getByText("expression: unexpected end of template")).toBeInTheDocument();
    const body = await bodyOf("PUT", "/api/integration-types/4");
    expect(body.http).toEqual(declarative.http);
    expect((body.actions as { request: unknown }[])[0]?.request).toEqual({
      method: "GET",
      path: "/items/{{ params.id }}",
      query: { full: "true" },
      headers: {},
      jmespath: "item",
    });
  });
});
