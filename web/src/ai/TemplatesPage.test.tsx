import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";
import { parseVariables } from "./TemplatesPage";

const user = (role: string) => ({ id: 1, email: "me@example.com", name: "Me", role, is_active: true, created_at: "2026-11-01T00:00:00Z" });

function version(v: number, content: string) {
  return {
    name: "reply",
    description: "Answer a ticket",
    version: v,
    latest_version: 2,
    messages: [{ role: "system", content }],
    variables: { product: "Wirework" },
    created_at: "2026-11-10T10:00:00Z",
    created_by: 1,
  };
}

const latest = {
  ...version(2, "v2 {{ product }}"),
  versions: [
    { version: 2, created_at: "2026-11-10T10:00:00Z", created_by: 1 },
    { version: 1, created_at: "2026-11-09T10:00:00Z", created_by: 1 },
  ],
};

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function serve(role = "editor", routes: Parameters<typeof fakeApi>[0] = {}) {
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: user(role) }),
    "GET /api/ai/templates": () => [{ name: "reply", description: "Answer a ticket", latest_version: 2, updated_at: "2026-11-10T10:00:00Z" }],
    "GET /api/ai/templates/reply": () => latest,
    "GET /api/ai/templates/reply/versions/1": () => version(1, "v1 {{ product }}"),
    ...routes,
  });
}

async function bodyOf(method: string, path: string) {
  const req = server!.requests.find((r) => r.method === method && new URL(r.url).pathname === path);
  return req ? await req.json() : undefined;
}

describe("the prompt templates page", () => {
  it("lists templates, shows a version and saves an edit as the next version", async () => {
    serve("editor", { "PUT /api/ai/templates/reply": () => latest });
    renderApp("/prompt-templates?name=reply");
    const content = await screen.findByLabelText("Content of message 1");
    expect(content).toHaveValue("v2 {{ product }}");
    expect(screen.getByRole("navigation", { name: "Templates" })).toHaveTextContent("replyv2");

    await userEvent.selectOptions(screen.getByLabelText("Version"), "1");
    expect(await screen.findByText("Showing version 1. Saving it makes it version 3.")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText("Content of message 1")).toHaveValue("v1 {{ product }}"));

    const edited = screen.getByLabelText("Content of message 1");
    await userEvent.clear(edited);
    await userEvent.type(edited, "Hello {{{{ product }}");
    await userEvent.click(screen.getByRole("button", { name: "Save as version 3" }));
    await waitFor(async () =>
      expect(await bodyOf("PUT", "/api/ai/templates/reply")).toEqual({
        description: "Answer a ticket",
        messages: [{ role: "system", content: "Hello {{ product }}" }],
        variables: { product: "Wirework" },
      }),
    );
  });

  it("previews through the server and shows an expression's error under its message", async () => {
    let fail = false;
    serve("editor", {
      "POST /api/ai/templates/preview": () =>
        fail
          ? json({ detail: "messages[0].content: division by zero", code: "validation_error", errors: [{ field: "messages[0].content", message: "division by zero" }] }, 422)
          : { messages: [{ role: "system", content: "v2 Wirework" }] },
    });
    renderApp("/prompt-templates?name=reply");
    await screen.findByLabelText("Content of message 1");
    await userEvent.click(screen.getByRole("button", { name: "Preview" }));
    const rendered = await screen.findByRole("list", { name: "Rendered messages" });
    expect(within(rendered).getByText("v2 Wirework")).toBeInTheDocument();
    expect(await bodyOf("POST", "/api/ai/templates/preview")).toEqual({
      messages: [{ role: "system", content: "v2 {{ product }}" }],
      variables: { product: "Wirework" },
    });

    fail = true;
    await userEvent.click(screen.getByRole("button", { name: "Preview" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not render: messages[0].content: division by zero");
    expect(screen.getByLabelText("Content of message 1")).toHaveAccessibleDescription("division by zero");
  });

  it("creates a template", async () => {
    serve("editor", { "POST /api/ai/templates": () => json({ ...latest, name: "greet", version: 1, latest_version: 1 }, 201) });
    renderApp("/prompt-templates");
    await userEvent.click(await screen.findByRole("button", { name: "New template" }));
    await userEvent.type(screen.getByLabelText("Name"), "greet");
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(async () => expect((await bodyOf("POST", "/api/ai/templates"))?.name).toBe("greet"));
  });

  it("is read-only for viewers (preview still works)", async () => {
    serve("viewer");
    renderApp("/prompt-templates?name=reply");
    await screen.findByLabelText("Content of message 1");
    expect(screen.queryByRole("button", { name: /Save as version/ })).toBeNull();
    expect(screen.queryByRole("button", { name: "New template" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    expect(screen.getByRole("button", { name: "Preview" })).toBeEnabled();
  });
});

describe("parseVariables", () => {
  it("takes a JSON object and names what is wrong otherwise", () => {
    expect(parseVariables('{"a": 1}')).toEqual({ value: { a: 1 } });
    expect(parseVariables("")).toEqual({ value: {} });
    expect(parseVariables("[1]")).toEqual({ error: 'Sample variables must be a JSON object, e.g. {"name": "Ada"}' });
    expect("error" in parseVariables("{")).toBe(true);
  });
});
