import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { fakeApi, type FakeApi } from "../../test/fakeApi";
import { nodeType } from "./fixtures/nodeTypes";
import { editorText, renderPanel, setEditorText } from "./testHarness";

let server: FakeApi;
const integrations = [
  { id: 1, name: "GitHub acme", type: "github", integration_type_id: 1, credentials: {}, active: true, allowed_hosts: null, created_at: "", updated_at: "" },
  { id: 2, name: "Slack team", type: "slack", integration_type_id: 2, credentials: {}, active: true, allowed_hosts: null, created_at: "", updated_at: "" },
  { id: 3, name: "GitHub old", type: "github", integration_type_id: 1, credentials: {}, active: false, allowed_hosts: null, created_at: "", updated_at: "" },
];
beforeEach(() => {
  server = fakeApi({
    "GET /api/expressions/functions": () => ({ functions: [] }),
    "GET /api/integrations": () => integrations,
    "POST /api/expressions/preview": () => ({ ok: true, value: "x", type: "string" }),
  });
});
afterEach(() => server.restore());

const http = { id: "h", name: "Fetch", type: "core.http_request", params: { url: "https://example.com" } };

describe("parameters generated from the schema", () => {
  it("shows each core.http_request field with its control, description, default and required mark", () => {
    renderPanel(http);
    expect(screen.getByRole("tab", { name: "Parameters", selected: true })).toBeInTheDocument();
    expect(screen.getByLabelText("URL (required)")).toHaveValue("https://example.com");
    expect(screen.getByText("http(s) URL; may hold expressions")).toBeInTheDocument();
    const method = screen.getByLabelText("Method");
    expect(method.tagName).toBe("SELECT");
    expect(within(method).getByRole("option", { name: "(default: GET)" })).toBeInTheDocument();
    expect(screen.getByLabelText("Follow redirects")).toBeChecked();
    expect(screen.getByLabelText("Timeout s")).toHaveAttribute("type", "number");
    expect(screen.getByRole("textbox", { name: "Body" })).toHaveClass("cm-content");
    expect(screen.getByRole("button", { name: "Add entry" })).toBeInTheDocument();
    expect(screen.getByLabelText("Integration ID").tagName).toBe("SELECT");
    // The nested pagination object shows its own fields.
    expect(screen.getByLabelText("Max pages")).toHaveAttribute("placeholder", "100");
    expect(screen.getAllByText(/Default:/).length).toBeGreaterThan(3);
  });

  it("writes each kind back through onChange", async () => {
    const user = userEvent.setup();
    const h = renderPanel(http);
    await user.clear(screen.getByLabelText("URL (required)"));
    await user.type(screen.getByLabelText("URL (required)"), "https://x.test");
    expect(h.node().params?.url).toBe("https://x.test");
    await user.selectOptions(screen.getByLabelText("Method"), "POST");
    expect(h.node().params?.method).toBe("POST");
    await user.selectOptions(screen.getByLabelText("Method"), "(default: GET)");
    expect(h.node().params).not.toHaveProperty("method");
    await user.click(screen.getByLabelText("Follow redirects"));
    expect(h.node().params?.follow_redirects).toBe(false);
    await user.type(screen.getByLabelText("Timeout s"), "12.5");
    expect(h.node().params?.timeout_s).toBe(12.5);
    await user.click(screen.getByRole("button", { name: "Add entry" }));
    await user.type(screen.getByLabelText("Headers 1: name"), "X-Id");
    await user.type(screen.getByLabelText("Headers 1: value"), "7");
    expect(h.node().params?.headers).toEqual({ "X-Id": "7" });
    setEditorText(screen.getByRole("textbox", { name: "Body" }), '{"a": [1, 2]}');
    expect(h.node().params?.body).toEqual({ a: [1, 2] });
    setEditorText(screen.getByRole("textbox", { name: "Body" }), '{"a": ');
    expect(screen.getByText(/Not valid JSON/)).toBeInTheDocument();
    expect(h.node().params?.body).toEqual({ a: [1, 2] });
    await user.selectOptions(await screen.findByLabelText("Integration ID"), "Slack team (slack)");
    expect(h.node().params?.integration_id).toBe(2);
  });

  it("core.code's code is a Python editor without an expression switch; language is fixed", () => {
    renderPanel({ id: "c", type: "core.code", params: { code: "return items" } });
    const code = screen.getByRole("textbox", { name: "Code (required)" });
    expect(editorText(code)).toBe("return items");
    expect(code.closest(".cm-editor")?.querySelector(".cm-lineNumbers")).not.toBeNull();
    expect(screen.queryByRole("group", { name: "Code: value mode" })).not.toBeInTheDocument();
    expect(screen.getByRole("group", { name: "Mode: value mode" })).toBeInTheDocument();
    expect(screen.getByLabelText("Language")).toHaveValue("python");
    expect(screen.getByLabelText("Language")).toBeDisabled();
  });

  it("edits a list of objects: add, fill, reorder, remove (core.switch rules)", async () => {
    const user = userEvent.setup();
    const h = renderPanel({ id: "s", type: "core.switch", params: { rules: [{ output: "a", condition: "{{ json.a }}" }] } });
    await user.click(screen.getByRole("button", { name: "Add rule" }));
    expect(h.node().params?.rules).toEqual([{ output: "a", condition: "{{ json.a }}" }, { output: "", condition: "" }]);
    const second = screen.getByRole("listitem", { name: "Rules 2" });
    await user.type(within(second).getByLabelText("Output (required)"), "b");
    expect((h.node().params?.rules as { output: string }[])[1]!.output).toBe("b");
    await user.click(screen.getByRole("button", { name: "Move Rules 2 up" }));
    expect((h.node().params?.rules as { output: string }[]).map((r) => r.output)).toEqual(["b", "a"]);
    expect(within(screen.getByRole("listitem", { name: "Rules 1" })).getByLabelText("Output (required)")).toHaveValue("b");
    await user.click(screen.getByRole("button", { name: "Remove Rules 1" }));
    expect(h.node().params?.rules).toEqual([{ output: "a", condition: "{{ json.a }}" }]);
  });

  it("edits a list of strings (core.workflow_trigger input fields)", async () => {
    const user = userEvent.setup();
    const h = renderPanel({ id: "w", type: "core.workflow_trigger", params: {} });
    await user.click(screen.getByRole("button", { name: "Add input field" }));
    await user.type(screen.getByLabelText("Input fields 1"), "email");
    expect(h.node().params?.input_fields).toEqual(["email"]);
  });

  it("an integration action picks among integrations of its type only", async () => {
    const user = userEvent.setup();
    const meta = { ...nodeType("core.noop"), type: "github.create_issue", display_name: "Create issue", group: "action" };
    const h = renderPanel({ id: "g", type: "github.create_issue", params: {} }, { type: meta });
    const select = screen.getByLabelText("Integration (required)");
    await screen.findByRole("option", { name: "GitHub acme" });
    expect(within(select).queryByRole("option", { name: /Slack/ })).not.toBeInTheDocument();
    expect(within(select).getByRole("option", { name: "GitHub old (inactive)" })).toBeInTheDocument();
    await user.selectOptions(select, "GitHub acme");
    expect(h.node().integration_id).toBe(1);
  });

  it("an unknown type shows its params as JSON", () => {
    const h = renderPanel({ id: "x", type: "acme.thing", params: { a: 1 } }, { type: null });
    expect(screen.getByText(/is not installed on this server/)).toBeInTheDocument();
    const editor = screen.getByRole("textbox", { name: "Parameters (JSON object)" });
    setEditorText(editor, '{"a": 2}');
    expect(h.node().params).toEqual({ a: 2 });
    setEditorText(editor, "[1]");
    expect(screen.getByText("Must be a JSON object")).toBeInTheDocument();
  });

  it("shows the editor's extra section above the parameters", () => {
    renderPanel({ id: "hook", type: "core.webhook", params: { path: "bugs" } }, { extra: <p>Test URL: /webhook-test/bugs</p> });
    expect(screen.getByText("Test URL: /webhook-test/bugs")).toBeInTheDocument();
  });

  it("read-only: nothing can be changed", () => {
    renderPanel(http, { readOnly: true });
    expect(screen.getByLabelText("URL (required)")).toBeDisabled();
    expect(screen.getByLabelText("Method")).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Add entry" })).not.toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Body" })).toHaveAttribute("contenteditable", "false");
    for (const b of within(screen.getByRole("group", { name: "URL: value mode" })).getAllByRole("button")) expect(b).toBeDisabled();
  });
});

describe("Fixed ⇄ Expression", () => {
  it("a value holding {{ opens in expression mode; a condition always does", () => {
    renderPanel({ id: "h", type: "core.http_request", params: { url: "{{ json.url }}" } });
    const url = within(screen.getByRole("group", { name: "URL: value mode" }));
    expect(url.getByRole("button", { name: "Expression" })).toHaveAttribute("aria-pressed", "true");
    expect(editorText(screen.getByRole("textbox", { name: "URL (required)" }))).toBe("{{ json.url }}");
  });

  it("switches a field both ways, keeping text and wrapping other values", async () => {
    const user = userEvent.setup();
    const h = renderPanel({ id: "h", type: "core.http_request", params: { url: "https://a.test", timeout_s: 30 } });
    await user.click(within(screen.getByRole("group", { name: "URL: value mode" })).getByRole("button", { name: "Expression" }));
    const editor = screen.getByRole("textbox", { name: "URL (required)" });
    expect(editorText(editor)).toBe("https://a.test");
    setEditorText(editor, "https://a.test/{{ json.id }}");
    expect(h.node().params?.url).toBe("https://a.test/{{ json.id }}");
    await user.click(within(screen.getByRole("group", { name: "URL: value mode" })).getByRole("button", { name: "Fixed" }));
    expect(screen.getByLabelText("URL (required)")).toHaveValue("https://a.test/{{ json.id }}");

    await user.click(within(screen.getByRole("group", { name: "Timeout s: value mode" })).getByRole("button", { name: "Expression" }));
    expect(h.node().params?.timeout_s).toBe("{{ 30 }}");
    await user.click(within(screen.getByRole("group", { name: "Timeout s: value mode" })).getByRole("button", { name: "Fixed" }));
    expect(h.node().params).not.toHaveProperty("timeout_s");
    expect(screen.getByLabelText("Timeout s")).toHaveValue(null);
  });

  it("a condition opens as an expression", () => {
    renderPanel({ id: "i", type: "core.if", params: {} });
    expect(within(screen.getByRole("group", { name: "Condition: value mode" })).getByRole("button", { name: "Expression" })).toHaveAttribute(
      "aria-pressed",
      "true",
    );
  });
});

describe("live preview", () => {
  it("asks once typing pauses, with the field's text and the scope, and shows the value", async () => {
    server.restore();
    server = fakeApi({
      "GET /api/expressions/functions": () => ({ functions: [] }),
      "POST /api/expressions/preview": async (req) => {
        const body = (await req.json()) as { expression: string };
        return { ok: true, value: body.expression.length, type: "int" };
      },
    });
    renderPanel({ id: "h", type: "core.http_request", params: { url: "{{ json.id }}" } });
    const editor = screen.getByRole("textbox", { name: "URL (required)" });
    for (const text of ["{{ json.t }}", "{{ json.ti }}", "{{ json.title }}"]) setEditorText(editor, text);
    expect(await screen.findByText("16")).toBeInTheDocument();
    const previews = server.requests.filter((r) => r.url.endsWith("/api/expressions/preview"));
    expect(previews).toHaveLength(1);
    const sent = (await previews[0]!.json()) as { expression: string; scope: Record<string, unknown> };
    expect(sent.expression).toBe("{{ json.title }}");
    expect(sent.scope).toEqual({ json: { id: 7, title: "Crash" }, nodes: { Fetch: { json: { status: 200 } } }, trigger: { body: { title: "Crash" } }, vars: {} });
    expect(screen.getByText("Result (int):")).toBeInTheDocument();
  });

  it("shows the evaluation error in red", async () => {
    server.restore();
    server = fakeApi({
      "GET /api/expressions/functions": () => ({ functions: [] }),
      "POST /api/expressions/preview": () => ({ ok: false, error: "'json.missing' is undefined" }),
    });
    renderPanel({ id: "h", type: "core.http_request", params: { url: "{{ json.missing + 1 }}" } });
    const error = await screen.findByText("Error: 'json.missing' is undefined");
    expect(error.className).toContain("text-red");
    const editor = screen.getByRole("textbox", { name: "URL (required)" });
    expect(editor.getAttribute("aria-describedby")).toContain(error.closest("p")!.id);
  });

  it("says when the preview itself fails", async () => {
    server.restore();
    server = fakeApi({ "GET /api/expressions/functions": () => ({ functions: [] }) });
    renderPanel({ id: "h", type: "core.http_request", params: { url: "{{ 1 }}" } });
    expect(await screen.findByText(/Preview unavailable/)).toBeInTheDocument();
  });

  it("does not ask for fixed text", async () => {
    renderPanel(http);
    await waitFor(() => expect(server.requests.some((r) => r.url.endsWith("/functions"))).toBe(true));
    expect(server.requests.some((r) => r.url.endsWith("/preview"))).toBe(false);
  });
});
