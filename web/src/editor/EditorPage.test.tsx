import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";
import { NODE_TYPES } from "./panel/fixtures/nodeTypes";
import { installFlowEnv } from "./testing/flowEnv";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };

beforeAll(installFlowEnv);

function workflow(version = 3, extra: Record<string, unknown> = {}) {
  return {
    id: 5,
    name: "Orders",
    description: "",
    tags: ["ops"],
    active: false,
    version,
    nodes: [
      { id: "hook", name: "Incoming", type: "core.webhook", params: { path: "orders" }, position: { x: 0, y: 0 } },
      { id: "check", name: "Check", type: "core.if", params: { condition: "{{ json.ok }}" }, position: { x: 300, y: 0 } },
    ],
    connections: [{ from: "hook", to: "check" }],
    settings: { save_data: "all" },
    pinned_data: null,
    sticky_notes: [{ id: "n1", text: "Read me", position: { x: 0, y: -200 } }],
    created_at: "2026-11-01T00:00:00Z",
    updated_at: "2026-11-01T00:00:00Z",
    ...extra,
  };
}

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function base(routes: Parameters<typeof fakeApi>[0] = {}) {
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: owner }),
    "GET /api/workflows/5": () => workflow(),
    "GET /api/node-types": () => NODE_TYPES,
    "GET /api/expressions/functions": () => ({ functions: [] }),
    "GET /api/workflows": () => ({ items: [workflow()], total: 1, limit: 200, offset: 0 }),
    "GET /api/workflows/tags": () => [{ tag: "ops", count: 1 }],
    ...routes,
  });
}

const puts = () => (server?.requests ?? []).filter((r) => r.method === "PUT");

async function openEditor() {
  const view = renderApp("/workflows/5");
  await waitFor(() => expect(view.container.querySelectorAll(".react-flow__node")).toHaveLength(3));
  return view;
}

const nodeEl = (view: { container: HTMLElement }, id: string) => view.container.querySelector(`.react-flow__node[data-id="${id}"]`) as HTMLElement;

describe("the workflow editor", () => {
  it("draws the workflow: nodes with their names, the note, labelled ports, the toolbar", async () => {
    base();
    const view = await openEditor();
    expect(screen.getByRole("textbox", { name: "Workflow name" })).toHaveValue("Orders");
    expect(screen.getByText("Saved · version 3")).toBeInTheDocument();
    expect(within(nodeEl(view, "hook")).getByText("Incoming")).toBeInTheDocument();
    expect(within(nodeEl(view, "check")).getByText("true")).toBeInTheDocument();
    expect(within(nodeEl(view, "check")).getByText("false")).toBeInTheDocument();
    expect(within(nodeEl(view, "note:n1")).getByText("Read me")).toBeInTheDocument();
    expect(screen.getByRole("switch", { name: "Active" })).toHaveAttribute("aria-checked", "false");
  });

  it("saves a change as a new version (Ctrl+S), with the version it started from", async () => {
    base({ "PUT /api/workflows/5": async (req) => ({ ...workflow(4), ...((await req.json()) as object), version: 4 }) });
    await openEditor();
    const user = userEvent.setup();
    const name = screen.getByRole("textbox", { name: "Workflow name" });
    await user.clear(name);
    await user.type(name, "Orders v2");
    expect(screen.getByText("Unsaved changes")).toBeInTheDocument();
    await user.keyboard("{Control>}s{/Control}");
    await screen.findByText("Saved · version 4");
    const body = (await puts()[0]!.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: "Orders v2", version: 3, tags: ["ops"] });
    expect((body.nodes as unknown[]).length).toBe(2);
    expect(body.sticky_notes).toEqual([{ id: "n1", text: "Read me", position: { x: 0, y: -200 } }]);
  });

  it("says when someone else saved meanwhile (409), and reloads on request", async () => {
    let loads = 0;
    base({
      "GET /api/workflows/5": () => workflow(++loads === 1 ? 3 : 7, loads === 1 ? {} : { name: "Theirs" }),
      "PUT /api/workflows/5": () => json({ detail: "version 3 is not the newest (7)", code: "conflict", errors: [] }, 409),
    });
    await openEditor();
    const user = userEvent.setup();
    await user.type(screen.getByRole("textbox", { name: "Workflow name" }), "!");
    await user.click(screen.getByRole("button", { name: "Save" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Someone else saved this workflow" });
    await user.click(within(dialog).getByRole("button", { name: "Reload (drop my changes)" }));
    await screen.findByText("Saved · version 7");
    expect(screen.getByRole("textbox", { name: "Workflow name" })).toHaveValue("Theirs");
  });

  it("puts a 422's errors on the node (red) and its field", async () => {
    base({
      "PUT /api/workflows/5": () =>
        json(
          {
            detail: "nodes[0].params.path: must be URL path segments",
            code: "validation_error",
            errors: [{ field: "nodes[0].params.path", message: "must be URL path segments", node_id: "hook" }],
          },
          422,
        ),
    });
    const view = await openEditor();
    const user = userEvent.setup();
    await user.type(screen.getByRole("textbox", { name: "Workflow name" }), "!");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText(/Not saved: the workflow has problems/);
    await waitFor(() => expect(nodeEl(view, "hook").querySelector("[data-invalid]")).not.toBeNull());
    const panel = await screen.findByRole("complementary", { name: "Node Incoming" });
    expect(await within(panel).findByText("must be URL path segments", { selector: "p" })).toBeInTheDocument();
    expect(within(panel).getByRole("tab", { name: "Parameters 1 error" })).toBeInTheDocument();
  });

  it("undoes and redoes with the keyboard, not while typing in a field", async () => {
    base();
    const view = await openEditor();
    const user = userEvent.setup();
    const name = screen.getByRole("textbox", { name: "Workflow name" });
    await user.type(name, " X");
    await user.keyboard("{Control>}z{/Control}"); // the input's own undo: not the editor's
    expect(name).toHaveValue("Orders X");
    act(() => name.blur());
    await user.keyboard("{Control>}z{/Control}");
    expect(name).toHaveValue("Orders");
    await user.keyboard("{Control>}{Shift>}z{/Shift}{/Control}");
    expect(name).toHaveValue("Orders X");
    expect(view.container.querySelectorAll(".react-flow__node")).toHaveLength(3);
  });

  it("adds a node from the palette (search, click) and opens its panel", async () => {
    base();
    const view = await openEditor();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Add a node" }));
    const palette = screen.getByRole("complementary", { name: "Add a node" });
    expect(within(palette).getByRole("region", { name: "Triggers" })).toBeInTheDocument();
    await user.type(within(palette).getByRole("searchbox", { name: "Search node types" }), "set fie");
    expect(within(palette).queryByRole("region", { name: "Triggers" })).toBeNull();
    await user.click(within(palette).getByRole("button", { name: /Set fields/ }));
    await waitFor(() => expect(nodeEl(view, "set_fields")).not.toBeNull());
    expect(await screen.findByRole("complementary", { name: "Node Set fields" })).toBeInTheDocument();
    expect(screen.getByText("Unsaved changes")).toBeInTheDocument();
  });

  it("adds a node after another with its + button, connected to that output", async () => {
    base({ "PUT /api/workflows/5": async (req) => ({ ...workflow(4), ...((await req.json()) as object), version: 4 }) });
    const view = await openEditor();
    const user = userEvent.setup();
    fireEvent.mouseEnter(nodeEl(view, "check").querySelector(".group")!);
    await user.click(within(nodeEl(view, "check")).getByRole("button", { name: "Add after Check (output false)" }));
    const palette = screen.getByRole("complementary", { name: /Add after/ });
    expect(within(palette).queryByRole("region", { name: "Triggers" })).toBeNull();
    await user.type(within(palette).getByRole("searchbox", { name: "Search node types" }), "no op{Enter}");
    await waitFor(() => expect(nodeEl(view, "no_operation")).not.toBeNull());
    await user.keyboard("{Control>}s{/Control}");
    await screen.findByText("Saved · version 4");
    const body = (await puts()[0]!.json()) as { connections: unknown[] };
    expect(body.connections).toContainEqual({ from: "check", from_output: "false", to: "no_operation" });
  });

  it("pastes workflow JSON (from another workflow or a text editor) as new nodes", async () => {
    base();
    const view = await openEditor();
    const text = JSON.stringify({ nodes: [{ id: "check", name: "Check", type: "core.if", params: {} }], connections: [] });
    const paste = new Event("paste", { bubbles: true }) as Event & { clipboardData: unknown };
    paste.clipboardData = { getData: () => text };
    act(() => {
      document.body.dispatchEvent(paste);
    });
    await waitFor(() => expect(nodeEl(view, "check_2")).not.toBeNull());
    expect(within(nodeEl(view, "check_2")).getByText("Check 2")).toBeInTheDocument();
  });

  it("asks before leaving with unsaved changes", async () => {
    base();
    const view = await openEditor();
    const user = userEvent.setup();
    await user.type(screen.getByRole("textbox", { name: "Workflow name" }), "!");
    await user.click(screen.getByRole("link", { name: "Workflows" }));
    const dialog = await screen.findByRole("alertdialog", { name: "Leave without saving?" });
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(view.location()).toBe("/workflows/5");
    await user.click(screen.getByRole("link", { name: "Workflows" }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Leave without saving" }));
    await waitFor(() => expect(view.location()).toBe("/workflows"));
  });

  it("shows the shortcuts with ?, and edits the workflow's settings", async () => {
    base({ "PUT /api/workflows/5": async (req) => ({ ...workflow(4), ...((await req.json()) as object), version: 4 }) });
    await openEditor();
    const user = userEvent.setup();
    await user.keyboard("?");
    const help = screen.getByRole("dialog", { name: "Keyboard shortcuts" });
    expect(within(help).getByText("Shift+Alt+F")).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();

    await user.click(screen.getByRole("button", { name: "Workflow settings" }));
    const dialog = screen.getByRole("dialog", { name: "Workflow settings" });
    await user.type(within(dialog).getByLabelText("Timeout (seconds)"), "90");
    await user.type(within(dialog).getByLabelText("Concurrency"), "2.5");
    await user.click(within(dialog).getByRole("button", { name: "Apply" }));
    expect(within(dialog).getByText(/A whole number above 0/)).toBeInTheDocument();
    await user.clear(within(dialog).getByLabelText("Concurrency"));
    await user.type(within(dialog).getByLabelText("Concurrency"), "2");
    await user.selectOptions(within(dialog).getByLabelText("Keep execution data of"), "errors");
    await user.click(within(dialog).getByRole("button", { name: "Apply" }));
    await user.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Saved · version 4");
    const body = (await puts()[0]!.json()) as { settings: unknown };
    expect(body.settings).toMatchObject({ timeout_s: 90, concurrency: 2, save_data: "errors", error_workflow: null });
  });

  it("restores an old version into the editor (saved as a new one)", async () => {
    base({
      "GET /api/workflows/5/versions": () => [
        { version: 3, name: "Orders", created_at: "2026-11-03T00:00:00Z", created_by: 1 },
        { version: 1, name: "Orders first", created_at: "2026-11-01T00:00:00Z", created_by: 1 },
      ],
      "GET /api/workflows/5/versions/1": () => ({ version: 1, name: "Orders first", created_at: "2026-11-01T00:00:00Z", created_by: 1, workflow_id: 5, document: { name: "Orders first", nodes: [{ id: "start", type: "core.manual" }], connections: [] } }),
    });
    const view = await openEditor();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Version history" }));
    const dialog = screen.getByRole("dialog", { name: "Version history" });
    expect(await within(dialog).findByRole("button", { name: "Restore version 3" })).toBeDisabled();
    await user.click(within(dialog).getByRole("button", { name: "View version 1" }));
    await screen.findByText("Viewing version 1 (read-only).");
    await waitFor(() => expect(nodeEl(view, "start")).not.toBeNull());
    expect(screen.getByRole("button", { name: "Save" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Restore this version" }));
    await screen.findByText(/Version 1 restored: save to make it the current version/);
    expect(screen.getByRole("textbox", { name: "Workflow name" })).toHaveValue("Orders first");
    expect(screen.getByText("Unsaved changes")).toBeInTheDocument();
  });

  it("renames a node: references to it follow, one undo step; a taken name is refused", async () => {
    const nodes = [
      { id: "hook", name: "Incoming", type: "core.webhook", params: { path: "orders" }, position: { x: 0, y: 0 } },
      { id: "check", name: "Check", type: "core.if", params: { condition: "{{ nodes['Incoming'].json.ok and nodes.Incoming.items }}" }, position: { x: 300, y: 0 } },
    ];
    base({
      "GET /api/workflows/5": () => workflow(3, { nodes }),
      "PUT /api/workflows/5": async (req) => ({ ...workflow(4), ...((await req.json()) as object), version: 4 }),
    });
    const view = await openEditor();
    const user = userEvent.setup();
    fireEvent.click(within(nodeEl(view, "hook")).getByText("Incoming"));
    const panel = await screen.findByRole("complementary", { name: "Node Incoming" });
    await user.click(within(panel).getByRole("tab", { name: "Settings" }));
    const name = within(panel).getByLabelText("Name");
    await user.clear(name);
    await user.type(name, "Check{Enter}");
    expect(within(panel).getByText(/Another node is already called “Check”/)).toBeInTheDocument();
    await user.clear(name);
    await user.type(name, "New order{Enter}");
    await waitFor(() => expect(within(nodeEl(view, "hook")).getByText("New order")).toBeInTheDocument());
    act(() => name.blur());
    await user.keyboard("{Control>}z{/Control}");
    await waitFor(() => expect(within(nodeEl(view, "hook")).getByText("Incoming")).toBeInTheDocument());
    await user.keyboard("{Control>}{Shift>}z{/Shift}{/Control}");
    await waitFor(() => expect(within(nodeEl(view, "hook")).getByText("New order")).toBeInTheDocument());
    await user.keyboard("{Control>}s{/Control}");
    await screen.findByText("Saved · version 4");
    const body = (await puts()[0]!.json()) as { nodes: { id: string; name: string; params: Record<string, unknown> }[] };
    expect(body.nodes.find((n) => n.id === "hook")?.name).toBe("New order");
    expect(body.nodes.find((n) => n.id === "check")?.params).toEqual({ condition: "{{ nodes['New order'].json.ok and nodes['New order'].items }}" });
  });

  it("works from the keyboard: focus a node, select it, move it with the arrows (one undo step), open and close its panel", async () => {
    base({ "PUT /api/workflows/5": async (req) => ({ ...workflow(4), ...((await req.json()) as object), version: 4 }) });
    const view = await openEditor();
    const user = userEvent.setup();
    const check = nodeEl(view, "check");
    expect(check).toHaveAttribute("tabindex", "0");
    act(() => check.focus());
    await user.keyboard(" ");
    await waitFor(() => expect(nodeEl(view, "check")).toHaveClass("selected"));
    await user.keyboard("{ArrowRight}{ArrowRight}{Shift>}{ArrowDown}{/Shift}");
    await screen.findByText("Unsaved changes");
    await user.keyboard("{Control>}z{/Control}");
    await waitFor(() => expect(screen.queryByText("Unsaved changes")).not.toBeInTheDocument());
    await user.keyboard("{Control>}{Shift>}z{/Shift}{/Control}");
    await user.keyboard("{Control>}s{/Control}");
    await screen.findByText("Saved · version 4");
    const body = (await puts()[0]!.json()) as { nodes: { id: string; position: { x: number; y: number } }[] };
    expect(body.nodes.find((n) => n.id === "check")?.position).toEqual({ x: 310, y: 20 });

    act(() => nodeEl(view, "check").focus());
    await user.keyboard("{Enter}");
    const panel = await screen.findByRole("complementary", { name: "Node Check" });
    await waitFor(() => expect(within(panel).getByRole("tab", { name: "Parameters" })).toHaveFocus());
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByRole("complementary", { name: "Node Check" })).not.toBeInTheDocument());
    await waitFor(() => expect(nodeEl(view, "check")).toHaveFocus());
  });

  it("lists the canvas keys in the shortcuts dialog", async () => {
    base();
    await openEditor();
    const user = userEvent.setup();
    await user.keyboard("?");
    const dialog = await screen.findByRole("dialog", { name: "Keyboard shortcuts" });
    const table = within(dialog).getByRole("table", { name: "On the canvas (keyboard only)" });
    expect(within(table).getByText("Tab / Shift+Tab")).toBeInTheDocument();
    expect(within(table).getByText(/Move the selected nodes/)).toBeInTheDocument();
  });

  it("opens a focused node's panel with Enter", async () => {
    base();
    const view = await openEditor();
    const user = userEvent.setup();
    act(() => nodeEl(view, "check").focus());
    await user.keyboard("{Enter}");
    expect(await screen.findByRole("complementary", { name: "Node Check" })).toBeInTheDocument();
  });

  it("adds a sticky note, writes in it, and saves it in the document", async () => {
    base({ "PUT /api/workflows/5": async (req) => ({ ...workflow(4), ...((await req.json()) as object), version: 4 }) });
    const view = await openEditor();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Add a sticky note" }));
    await waitFor(() => expect(nodeEl(view, "note:note")).not.toBeNull());
    fireEvent.doubleClick(within(nodeEl(view, "note:note")).getByTestId("sticky-text"));
    const text = await screen.findByRole("textbox", { name: "Sticky note text" });
    await user.type(text, "Call the team");
    act(() => text.blur());
    await waitFor(() => expect(within(nodeEl(view, "note:note")).getByText("Call the team")).toBeInTheDocument());
    await user.keyboard("{Control>}s{/Control}");
    await screen.findByText("Saved · version 4");
    const body = (await puts()[0]!.json()) as { sticky_notes: { id: string; text: string; color: string }[] };
    expect(body.sticky_notes.find((n) => n.id === "note")).toMatchObject({ text: "Call the team", color: "yellow" });
  });

  it("shows a sticky note as Markdown (no raw HTML) and edits it as text on double-click", async () => {
    const text = "# Plan\n**Call** the [team](https://chat.example/t) <b onclick=\"x()\">now</b>\n\n- one\n- two";
    base({ "GET /api/workflows/5": () => workflow(3, { sticky_notes: [{ id: "n1", text, position: { x: 0, y: -200 } }] }) });
    const view = await openEditor();
    const note = within(nodeEl(view, "note:n1")).getByTestId("sticky-text");
    expect(within(note).getByRole("heading", { name: "Plan" })).toBeInTheDocument();
    expect(note.querySelector("strong")?.textContent).toBe("Call");
    expect(within(note).getByRole("link", { name: "team" })).toHaveAttribute("href", "https://chat.example/t");
    expect(within(note).getAllByRole("listitem")).toHaveLength(2);
    expect(note.querySelector("b")).toBeNull();
    expect(note.textContent).toContain('<b onclick="x()">now</b>');
    fireEvent.doubleClick(note);
    expect(await screen.findByRole("textbox", { name: "Sticky note text" })).toHaveValue(text);
  });

  it("is read-only for a viewer", async () => {
    base({ "GET /api/auth/session": () => ({ user: { ...owner, role: "viewer" } }) });
    const view = await openEditor();
    expect(await screen.findByText(/Read-only: your role \(viewer\)/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save" })).toBeDisabled();
    expect(screen.getByRole("button", { name: /Run/ })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Add a node" })).toBeDisabled();
    fireEvent.click(within(nodeEl(view, "check")).getByText("Check"));
    const panel = await screen.findByRole("complementary", { name: "Node Check" });
    expect(within(panel).getByText(/read-only/)).toBeInTheDocument();
  });
});
