/** The AI nodes' widgets in the node panel (from the real params schemas' hints) and "Write
 * with AI" beside expression and code fields. */
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { renderPanel, editorText } from "../../editor/panel/testHarness";
import { fakeApi, json, type FakeApi } from "../../test/fakeApi";

let server: FakeApi;
const integration = (id: number, name: string, type: string) => ({
  id, name, type, integration_type_id: id, credentials: {}, active: true, allowed_hosts: null, created_at: "", updated_at: "",
}); // prettier-ignore
let models: () => unknown = () => [{ id: "gpt-4o", kind: "chat" }, { id: "gpt-4o-mini", kind: "chat" }];
/** False: the assistant answers 409, not set up. */
let writeAnswer = true;
beforeEach(() => {
  writeAnswer = true;
  models = () => [{ id: "gpt-4o", kind: "chat" }, { id: "gpt-4o-mini", kind: "chat" }];
  server = fakeApi({
    "GET /api/expressions/functions": () => ({ functions: [] }),
    "POST /api/expressions/preview": () => ({ ok: true, value: "x", type: "string" }),
    "GET /api/integrations": () => [integration(5, "OpenAI", "openai"), integration(6, "Slack", "slack"), integration(7, "Claude", "anthropic")],
    "GET /api/ai/assistant": () => ({ configured: false, provider_types: ["anthropic", "openai"] }),
    "GET /api/integrations/5/models": () => models(),
    "GET /api/ai/templates": () => [{ name: "reply", description: "", latest_version: 3, updated_at: "" }],
    "POST /api/ai/write": async (req) => {
      const body = (await req.json()) as { kind: string };
      if (!writeAnswer) return json({ detail: "the AI assistant is not configured: an owner or admin chooses its model", code: "assistant_not_configured", errors: [] }, 409);
      return body.kind === "code" ? { text: "return [{'n': len(items)}]", attempts: 1 } : { text: "{{ json.email | lower }}", attempts: 1 };
    },
  });
});
afterEach(() => server.restore());

const chat = { id: "c", type: "ai.chat", params: { integration_id: 5, template: { name: "reply" } } };

describe("the AI nodes' widgets", () => {
  it("lists model providers only, the chosen integration's models and the prompt templates", async () => {
    const user = userEvent.setup();
    const h = renderPanel(chat);
    const integrationSelect = screen.getByLabelText("Integration ID (required)");
    await waitFor(() => expect(within(integrationSelect).getAllByRole("option").map((o) => o.textContent)).toEqual(["(none)", "OpenAI (openai)", "Claude (anthropic)"]));

    const model = screen.getByLabelText("Model (required)");
    expect(await screen.findByText("2 models listed by the integration")).toBeInTheDocument();
    const list = document.getElementById(model.getAttribute("list")!)!;
    expect([...list.querySelectorAll("option")].map((o) => o.getAttribute("value"))).toEqual(["gpt-4o", "gpt-4o-mini"]);
    await user.type(model, "gpt-4o");
    expect(h.node().params?.model).toBe("gpt-4o");

    const template = screen.getByLabelText("Name (required)");
    expect(template.tagName).toBe("SELECT");
    await waitFor(() => expect(within(template).getByRole("option", { name: "reply (v3)" })).toBeInTheDocument());
    expect(template).toHaveValue("reply");
  });

  it("says why the models could not be listed", async () => {
    models = () => json({ detail: "the model provider failed: openai answered HTTP 401", code: "upstream_error", errors: [] }, 502);
    renderPanel(chat);
    expect(await screen.findByText(/Could not list the models: the model provider failed: openai answered HTTP 401/)).toBeInTheDocument();
  });

  it("builds ai.structured_output's JSON Schema field by field", async () => {
    const user = userEvent.setup();
    const h = renderPanel({ id: "s", type: "ai.structured_output", params: { integration_id: 5, model: "gpt-4o" } });
    await user.click(screen.getByRole("button", { name: "Add a field" }));
    await user.type(screen.getByLabelText("Answer: name of field 1"), "sentiment");
    await user.type(screen.getByLabelText("Description of sentiment"), "positive or negative");
    await user.click(screen.getByRole("button", { name: "Add a field" }));
    await user.type(screen.getByLabelText("Answer: name of field 2"), "lines");
    await user.selectOptions(screen.getByLabelText("Type of lines"), "array");
    await user.selectOptions(screen.getByLabelText("Item type of lines"), "object");
    await user.click(screen.getByRole("button", { name: "Add a field to lines" }));
    await user.type(screen.getByLabelText("lines: name of field 1"), "sku");
    await user.click(screen.getByLabelText("lines is required"));
    expect(h.node().params?.json_schema).toEqual({
      type: "object",
      properties: {
        sentiment: { type: "string", description: "positive or negative" },
        lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" } }, required: ["sku"] } },
      },
      required: ["sentiment"],
    });
    await user.click(screen.getByLabelText("Edit as JSON"));
    expect(screen.queryByLabelText("Type of lines")).not.toBeInTheDocument();
  });
});

describe("write with AI", () => {
  it("writes an expression into a text field", async () => {
    const user = userEvent.setup();
    const h = renderPanel({ id: "h", type: "core.http_request", params: { url: "https://example.com" } });
    await user.click(screen.getByRole("button", { name: "Write URL with AI" }));
    await user.type(screen.getByLabelText("What should the expression give?"), "the email in lower case");
    await user.click(screen.getByRole("button", { name: "Write" }));
    expect(await screen.findByLabelText("Suggested text")).toHaveTextContent("{{ json.email | lower }}");
    const sent = (await server.requests.find((r) => r.url.endsWith("/api/ai/write"))!.json()) as Record<string, unknown>;
    expect(sent).toMatchObject({ kind: "expression", instruction: "the email in lower case", context: { node_type: "core.http_request", param_name: "url", sample_item: { id: 7, title: "Crash" } } });
    await user.click(screen.getByRole("button", { name: "Use it" }));
    expect(h.node().params?.url).toBe("{{ json.email | lower }}");
    expect(screen.getByRole("button", { name: "Expression", pressed: true })).toBeInTheDocument();
  });

  it("writes core.code's Python for its mode", async () => {
    const user = userEvent.setup();
    const h = renderPanel({ id: "k", type: "core.code", params: { code: "return items", mode: "per_item" } });
    await user.click(screen.getByRole("button", { name: "Write Code with AI" }));
    await user.type(screen.getByLabelText("What should the code do?"), "count the items{Enter}");
    await user.click(await screen.findByRole("button", { name: "Use it" }));
    expect(h.node().params?.code).toBe("return [{'n': len(items)}]");
    const sent = (await server.requests.find((r) => r.url.endsWith("/api/ai/write"))!.json()) as { kind: string; context: { code_mode: string } };
    expect([sent.kind, sent.context.code_mode]).toEqual(["code", "per_item"]);
    expect(editorText(screen.getByRole("textbox", { name: "Code (required)" }))).toBe("return [{'n': len(items)}]");
  });

  it("sends the current text to be changed and gives focus back to its button", async () => {
    const user = userEvent.setup();
    renderPanel({ id: "k", type: "core.code", params: { code: "return items" } });
    const button = screen.getByRole("button", { name: "Write Code with AI" });
    await user.click(button);
    const instruction = screen.getByLabelText("What should the code do?");
    expect(instruction).toHaveAccessibleDescription(/The current code goes along: say what to change in it/);
    await user.type(instruction, "count them{Enter}");
    await user.click(await screen.findByRole("button", { name: "Use it" }));
    expect(screen.queryByRole("group", { name: "Write code with AI" })).not.toBeInTheDocument();
    expect(button).toHaveFocus();
    const sent = (await server.requests.find((r) => r.url.endsWith("/api/ai/write"))!.json()) as { context: { current: string | null } };
    expect(sent.context.current).toBe("return items");
  });

  it("writes anew when the field is empty", async () => {
    const user = userEvent.setup();
    renderPanel({ id: "f", type: "core.filter", params: {} });
    await user.click(screen.getByRole("button", { name: "Write Condition with AI" }));
    const instruction = screen.getByLabelText("What should the expression give?");
    expect(instruction).toHaveAccessibleDescription("Nothing changes until you use the suggestion.");
    await user.type(instruction, "big ones{Enter}");
    await screen.findByLabelText("Suggested text");
    const sent = (await server.requests.find((r) => r.url.endsWith("/api/ai/write"))!.json()) as { context: { current: string | null } };
    expect(sent.context.current).toBeNull();
  });

  it("closes on Escape from the suggestion without closing the panel", async () => {
    const user = userEvent.setup();
    const h = renderPanel({ id: "h", type: "core.http_request", params: { url: "https://example.com" } });
    const button = screen.getByRole("button", { name: "Write URL with AI" });
    await user.click(button);
    await user.type(screen.getByLabelText("What should the expression give?"), "add the id{Enter}");
    (await screen.findByRole("button", { name: "Use it" })).focus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("group", { name: "Write url with AI" })).not.toBeInTheDocument();
    expect(h.onClose).not.toHaveBeenCalled();
    expect(button).toHaveFocus();
    expect(h.node().params?.url).toBe("https://example.com");
  });

  it("says when the assistant is not set up", async () => {
    writeAnswer = false;
    const user = userEvent.setup();
    renderPanel({ id: "h", type: "core.http_request", params: { url: "https://example.com" } });
    await user.click(screen.getByRole("button", { name: "Write URL with AI" }));
    await user.type(screen.getByLabelText("What should the expression give?"), "the email{Enter}");
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The AI assistant is not set up: the AI assistant is not configured");
    expect(screen.queryByLabelText("Suggested text")).not.toBeInTheDocument();
  });
});
