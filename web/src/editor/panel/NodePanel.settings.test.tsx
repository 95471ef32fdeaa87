import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { ApiError } from "../../api/errors";
import { fakeApi, type FakeApi } from "../../test/fakeApi";
import type { Item, NodeRunData } from "../types";
import { editorText, renderPanel, setEditorText } from "./testHarness";

let server: FakeApi;
beforeEach(() => {
  server = fakeApi({ "GET /api/expressions/functions": () => ({ functions: [] }) });
});
afterEach(() => server.restore());

const http = { id: "h", name: "Fetch", type: "core.http_request", params: { url: "https://example.com" } };

describe("settings", () => {
  it("refuses a name another node has, inline, and Escape puts the name back", async () => {
    const user = userEvent.setup();
    const h = renderPanel(http, { otherNames: new Set(["Merge", "Set"]) });
    await user.click(screen.getByRole("tab", { name: "Settings" }));
    const name = screen.getByLabelText("Name");
    await user.clear(name);
    await user.type(name, "Merge{Enter}");
    expect(screen.getByText(/Another node is already called “Merge”/)).toBeInTheDocument();
    expect(name).toHaveAttribute("aria-invalid", "true");
    await user.tab();
    expect(h.node().name).toBe("Fetch");
    await user.click(name);
    await user.keyboard("{Escape}");
    expect(name).toHaveValue("Fetch");
    expect(screen.queryByText(/Another node/)).not.toBeInTheDocument();
    await user.clear(name);
    await user.type(name, "  Merged  {Enter}");
    expect(h.node().name).toBe("Merged");
  });

  it("writes name, disabled, notes, timeout, retry and on_error back", async () => {
    const user = userEvent.setup();
    const h = renderPanel(http);
    await user.click(screen.getByRole("tab", { name: "Settings" }));
    const name = screen.getByLabelText("Name");
    await user.clear(name);
    expect(screen.getByText("The name cannot be empty.")).toBeInTheDocument();
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(h.node().name).toBe("Fetch");
    await user.type(name, "Get bug");
    // Written when the field is left (or on Enter): one rename, not one per keystroke.
    expect(h.node().name).toBe("Fetch");
    await user.tab();
    expect(h.node().name).toBe("Get bug");
    await user.click(screen.getByLabelText("Disabled"));
    expect(h.node().disabled).toBe(true);
    await user.type(screen.getByLabelText("Notes"), "calls the tracker");
    expect(h.node().notes).toBe("calls the tracker");
    await user.type(screen.getByLabelText("Timeout (seconds)"), "45");
    expect(h.node().timeout_s).toBe(45);
    await user.clear(screen.getByLabelText("Timeout (seconds)"));
    expect(h.node().timeout_s).toBeNull();

    await user.click(screen.getByLabelText("Retry on failure"));
    expect(h.node().retry).toEqual({ max_attempts: 3, backoff_s: 1, max_backoff_s: 300, jitter: true });
    const attempts = screen.getByLabelText("Attempts in all");
    await user.clear(attempts);
    await user.type(attempts, "5");
    expect(h.node().retry?.max_attempts).toBe(5);
    await user.type(attempts, "0");
    expect(screen.getByText("Between 1 and 10.")).toBeInTheDocument();
    await user.click(screen.getByLabelText("Randomise each wait (jitter)"));
    expect(h.node().retry?.jitter).toBe(false);
    await user.click(screen.getByLabelText("Retry on failure"));
    expect(h.node().retry).toBeNull();

    expect(screen.getByRole("radio", { name: /Stop the execution/ })).toBeChecked();
    await user.click(screen.getByRole("radio", { name: /Send to the error output/ }));
    expect(h.node().on_error).toBe("error_output");
  });
});

describe("server field errors", () => {
  const errors = {
    "params.url": "must be an http(s) URL",
    "params.rules[0].output": "is not a valid port name",
    timeout_s: "must be greater than 0",
  };

  it("lists them at the top, marks each field, and the summary leads to the field", async () => {
    const user = userEvent.setup();
    renderPanel(http, { fieldErrors: errors });
    const summary = screen.getByRole("alert");
    expect(summary).toHaveTextContent("This node has 3 problems:");
    expect(summary).toHaveTextContent("params.url: must be an http(s) URL");
    const url = screen.getByLabelText("URL (required)");
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveAccessibleDescription(/must be an http\(s\) URL/);
    expect(screen.getByRole("tab", { name: "Settings 1 error" })).toBeInTheDocument();

    await user.click(within(summary).getByRole("button", { name: "timeout_s" }));
    expect(screen.getByRole("tab", { name: "Settings 1 error", selected: true })).toBeInTheDocument();
    const timeout = screen.getByLabelText("Timeout (seconds)");
    expect(timeout).toHaveAttribute("aria-invalid", "true");
    expect(timeout).toHaveAccessibleDescription(/must be greater than 0/);
    await waitFor(() => expect(timeout).toHaveFocus());
  });

  it("shows errors about parts of a name/value or JSON field on that field", () => {
    renderPanel({ ...http, params: { url: "https://a.test", headers: { "": "x" } } }, { fieldErrors: { "params.headers[0].name": "is empty" } });
    expect(screen.getByText("[0].name: is empty")).toBeInTheDocument();
  });

  it("marks nested fields by their path", () => {
    renderPanel({ id: "s", type: "core.switch", params: { rules: [{ output: "bad port", condition: true }] } }, { fieldErrors: errors });
    const output = within(screen.getByRole("listitem", { name: "Rules 1" })).getByLabelText("Output (required)");
    expect(output).toHaveAttribute("aria-invalid", "true");
    expect(output).toHaveAccessibleDescription(/is not a valid port name/);
  });
});

describe("data, pin and test", () => {
  const run: NodeRunData = {
    status: "error",
    items_out: 2,
    input: { main: [{ id: 1 }] },
    output: { main: [{ id: 1, ok: true }, { id: 2, error: { message: "bad" } }] },
    error: { type: "HTTPError", message: "404 Not Found" },
  };

  it("shows the error, input and output with counts, and pins the output", async () => {
    const user = userEvent.setup();
    const h = renderPanel(http, { runData: run, initialTab: "data" });
    expect(screen.getByRole("alert")).toHaveTextContent("This node failed: HTTPError: 404 Not Found");
    const output = screen.getByRole("region", { name: "Output of Fetch" });
    expect(within(output).getByRole("button", { name: /main \(2 items\)/ })).toBeInTheDocument();
    expect(within(output).getAllByRole("row")[2]).toHaveTextContent("error");
    expect(within(screen.getByRole("region", { name: "Input of Fetch" })).getByRole("button", { name: /main \(1 item\)/ })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Pin output" }));
    expect(h.onPin).toHaveBeenCalledWith(run.output!.main);
  });

  it("notes truncated data and refuses to pin a part of it", () => {
    renderPanel(http, { runData: { ...run, error: null, truncated: true }, initialTab: "data" });
    expect(screen.getAllByText(/Truncated: only the first items are shown/).length).toBeGreaterThan(0);
    expect(screen.getByRole("button", { name: "Pin output" })).toBeDisabled();
  });

  it("shows pinned items, edits them as JSON (checked), and unpins", async () => {
    const user = userEvent.setup();
    const pinned: Item[] = [{ a: 1 }];
    const h = renderPanel(http, { pinned, initialTab: "data" });
    const section = screen.getByRole("region", { name: "Pinned output" });
    expect(section).toHaveTextContent("(1 item)");
    await user.click(within(section).getByRole("button", { name: "Edit" }));
    const editor = within(section).getByRole("textbox", { name: "Pinned items (JSON array of objects)" });
    expect(JSON.parse(editorText(editor))).toEqual(pinned);
    setEditorText(editor, '[{"a": 1}, 2]');
    expect(within(section).getByText(/Item 2 is not an object/)).toBeInTheDocument();
    expect(within(section).getByRole("button", { name: "Save pinned items" })).toBeDisabled();
    setEditorText(editor, '[{"a": 2}]');
    await user.click(within(section).getByRole("button", { name: "Save pinned items" }));
    expect(h.onPin).toHaveBeenCalledWith([{ a: 2 }]);
    await user.click(within(section).getByRole("button", { name: "Unpin" }));
    expect(h.onPin).toHaveBeenLastCalledWith(null);
  });

  it("tests the node on the sample input (edited, validated), showing progress and then done", async () => {
    const user = userEvent.setup();
    let finish: () => void = () => undefined;
    const h = renderPanel(http, { initialTab: "data", sampleInput: [{ id: 1 }] });
    h.onTest.mockImplementation(() => new Promise<void>((resolve) => (finish = resolve)));
    const input = screen.getByRole("textbox", { name: "Test input (JSON array of objects)" });
    expect(JSON.parse(editorText(input))).toEqual([{ id: 1 }]);
    setEditorText(input, '{"id": 2}');
    expect(screen.getByText(/Must be a JSON array of objects/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Test node" })).toBeDisabled();
    setEditorText(input, '[{"id": 2}]');
    await user.click(screen.getByRole("button", { name: "Test node" }));
    expect(h.onTest).toHaveBeenCalledWith([{ id: 2 }]);
    expect(screen.getByRole("button", { name: "Testing…" })).toBeDisabled();
    expect(screen.getByRole("progressbar", { name: "Test run in progress" })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Test this node" })).toHaveAttribute("aria-busy", "true");
    finish();
    expect(await screen.findByText("Test finished: see the output below.")).toBeInTheDocument();
  });

  it("keeps the edited test input when the editor passes an equal sample again, takes a new one", () => {
    const h = renderPanel(http, { initialTab: "data", sampleInput: [{ id: 1 }] });
    const input = () => screen.getByRole("textbox", { name: "Test input (JSON array of objects)" });
    setEditorText(input(), '[{"id": 5}]');
    h.rerender({ sampleInput: [{ id: 1 }] });
    expect(JSON.parse(editorText(input()))).toEqual([{ id: 5 }]);
    h.rerender({ sampleInput: [{ id: 9 }] });
    expect(JSON.parse(editorText(input()))).toEqual([{ id: 9 }]);
  });

  it("shows a failed test with the API's message", async () => {
    const user = userEvent.setup();
    const h = renderPanel(http, { initialTab: "data" });
    h.onTest.mockRejectedValue(new ApiError(422, "the node failed", "invalid", [{ field: "params.url", message: "bad url" }]));
    await user.click(screen.getByRole("button", { name: "Test node" }));
    expect(await screen.findByText("The test failed: the node failed")).toBeInTheDocument();
  });

  it("cannot test a workflow not saved yet; read-only has neither test nor pin", () => {
    renderPanel(http, { initialTab: "data", workflowId: null, runData: run });
    expect(screen.getByRole("button", { name: "Test node" })).toBeDisabled();
    expect(screen.getByText("Save the workflow to test its nodes.")).toBeInTheDocument();
  });

  it("read-only shows data without test or pin", () => {
    renderPanel(http, { initialTab: "data", readOnly: true, runData: run, pinned: [{ a: 1 }] });
    expect(screen.queryByRole("button", { name: "Test node" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Unpin" })).not.toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Pinned output" })).toBeInTheDocument();
  });
});

describe("layout and keyboard", () => {
  it("moves between tabs with the arrow keys and closes on Escape", async () => {
    const user = userEvent.setup();
    const h = renderPanel(http);
    expect(screen.getByRole("complementary", { name: "Node Fetch" })).toBeInTheDocument();
    screen.getByRole("tab", { name: "Parameters" }).focus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Settings", selected: true })).toHaveFocus();
    await user.keyboard("{End}");
    expect(screen.getByRole("tab", { name: "Data", selected: true })).toHaveFocus();
    await user.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Parameters", selected: true })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(h.onClose).toHaveBeenCalledTimes(1);
    await user.click(screen.getByRole("button", { name: "Close the node panel" }));
    expect(h.onClose).toHaveBeenCalledTimes(2);
  });

  it("resizes from the keyboard", async () => {
    const user = userEvent.setup();
    renderPanel(http);
    const handle = screen.getByRole("separator", { name: "Resize the node panel" });
    handle.focus();
    await user.keyboard("{ArrowLeft}");
    expect(handle).toHaveAttribute("aria-valuenow", "500");
    expect(screen.getByRole("complementary")).toHaveStyle({ width: "500px" });
  });
});
