import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };
const wf = (id: number, name: string, active: boolean, updated: string) => ({
  id,
  name,
  description: "",
  active,
  version: 1,
  nodes: [],
  connections: [],
  settings: {},
  created_at: `2026-11-0${id}T10:00:00Z`,
  updated_at: `2026-11-${updated}T10:00:00Z`,
});

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function start(workflows: ReturnType<typeof wf>[]) {
  let items = [...workflows];
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: owner }),
    "GET /api/workflows": (req) => {
      const q = new URL(req.url).searchParams;
      const name = q.get("name")?.toLowerCase();
      const active = q.get("active");
      const out = items.filter(
        (w) => (!name || w.name.toLowerCase().includes(name)) && (active === null || String(w.active) === active),
      );
      return { items: out, total: out.length, limit: 200, offset: 0 };
    },
    "DELETE /api/workflows/2": () => {
      items = items.filter((w) => w.id !== 2);
      return new Response(null, { status: 204 });
    },
    "POST /api/workflows": () =>
      json({ detail: "conflict: name: already exists", code: "conflict", errors: [] }, 409),
  });
  return renderApp("/workflows");
}

function names(): string[] {
  const table = screen.getByRole("table");
  return within(table)
    .getAllByRole("link")
    .map((a) => a.textContent ?? "");
}

describe("the workflows list", () => {
  it("searches, filters by status and sorts", async () => {
    start([wf(1, "Bug intake", true, "05"), wf(2, "alerts", false, "09"), wf(3, "Orders", true, "07")]);
    await screen.findByRole("table");
    expect(names()).toEqual(["alerts", "Orders", "Bug intake"]); // last changed first

    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Sort by"), "name");
    expect(names()).toEqual(["alerts", "Bug intake", "Orders"]);

    await user.selectOptions(screen.getByLabelText("Status"), "active");
    await waitFor(() => expect(names()).toEqual(["Bug intake", "Orders"]));
    expect(server?.requests.some((r) => new URL(r.url).searchParams.get("active") === "true")).toBe(true);

    await user.type(screen.getByLabelText("Search"), "ORD");
    await waitFor(() => expect(names()).toEqual(["Orders"]));

    await user.type(screen.getByLabelText("Search"), "zzz");
    expect(await screen.findByText("No workflow matches.")).toBeInTheDocument();
  });

  it("deletes only after confirmation, and Escape cancels", async () => {
    start([wf(1, "Keep me", false, "05"), wf(2, "Remove me", false, "06")]);
    await screen.findByRole("table");
    const user = userEvent.setup();

    await user.click(screen.getByRole("button", { name: "Delete Remove me" }));
    let dialog = screen.getByRole("alertdialog", { name: "Delete workflow?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(server?.requests.filter((r) => r.method === "DELETE")).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Delete Remove me" }));
    dialog = screen.getByRole("alertdialog");
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(names()).toEqual(["Keep me"]));
    expect(screen.getByRole("status")).toHaveTextContent("Deleted “Remove me”.");
  });

  it("shows the API's error when creating fails", async () => {
    start([]);
    expect(await screen.findByText("No workflows yet: create or import one.")).toBeInTheDocument();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("New workflow"), "Dup");
    await user.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not create: conflict: name: already exists");
  });

  it("links an execution it started to that workflow's executions", async () => {
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: owner }),
      "GET /api/workflows": () => ({ items: [wf(4, "Orders", true, "05")], total: 1, limit: 200, offset: 0 }),
      "POST /api/workflows/4/execute": () =>
        json({ id: "ex42", workflow_id: 4, workflow_version: 1, status: "queued", mode: "manual", started_at: "2026-11-05T10:00:00Z", finished_at: null, steps: [] }, 202),
      "GET /api/executions": () => ({ items: [], next_cursor: null }),
    });
    renderApp("/workflows");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Execute Orders" }));
    await user.click(screen.getByRole("button", { name: "Run" }));
    const status = await screen.findByText(/of “Orders”: queued/);
    expect(within(status).getByRole("link", { name: "ex42" })).toHaveAttribute("href", "/executions/ex42");
    await user.click(within(status).getByRole("link", { name: "All its executions" }));
    expect(await screen.findByRole("heading", { name: "Executions", level: 1 })).toBeInTheDocument();
    expect(screen.getByLabelText("Workflow")).toHaveValue("4");
  });
});

describe("workflow tags", () => {
  const tagged = (id: number, name: string, tags: string[]) => ({ ...wf(id, name, false, "05"), tags });

  function startTagged() {
    let items = [tagged(1, "Billing run", ["billing", "ops"]), tagged(2, "Pager", ["ops"]), tagged(3, "Plain", [])];
    const counts = () => {
      const all = items.flatMap((w) => w.tags);
      return [...new Set(all)].sort().map((tag) => ({ tag, count: all.filter((t) => t === tag).length }));
    };
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: owner }),
      "GET /api/workflows": (req) => {
        const wanted = new URL(req.url).searchParams.getAll("tag");
        const out = items.filter((w) => wanted.every((t) => w.tags.includes(t)));
        return { items: out, total: out.length, limit: 200, offset: 0 };
      },
      "GET /api/workflows/tags": counts,
      "PATCH /api/workflows/3": async (req) => {
        const body = (await req.json()) as { tags: string[]; version: number };
        items = items.map((w) => (w.id === 3 ? { ...w, tags: body.tags, version: 2 } : w));
        return items.find((w) => w.id === 3);
      },
    });
  }

  it("filters by tag on the server, kept in the address", async () => {
    startTagged();
    const view = renderApp("/workflows?tag=ops");
    await screen.findByRole("table");
    await waitFor(() => expect(names()).toEqual(["Pager", "Billing run"]));
    expect(within(screen.getByRole("list", { name: "Tag filter" })).getByText("ops")).toBeInTheDocument();

    const user = userEvent.setup();
    const select = screen.getByLabelText("Tag");
    await waitFor(() => expect(within(select).getByRole("option", { name: "billing (1)" })).toBeInTheDocument());
    await user.selectOptions(select, "billing");
    await waitFor(() => expect(names()).toEqual(["Billing run"]));
    expect(view.location()).toBe("/workflows?tag=ops&tag=billing");
    const last = server?.requests.filter((r) => new URL(r.url).pathname === "/api/workflows").at(-1);
    expect(new URL(last?.url ?? "").searchParams.getAll("tag")).toEqual(["ops", "billing"]);

    await user.click(screen.getByRole("button", { name: "Remove tag ops" }));
    await user.click(screen.getByRole("button", { name: "Remove tag billing" }));
    await waitFor(() => expect(names()).toEqual(["Plain", "Pager", "Billing run"]));
    expect(view.location()).toBe("/workflows");

    // A row's tag chip filters by that tag.
    await user.click(within(screen.getByRole("list", { name: "Tags of Pager" })).getByRole("button", { name: "ops: filter by this tag" }));
    await waitFor(() => expect(names()).toEqual(["Pager", "Billing run"]));
    expect(view.location()).toBe("/workflows?tag=ops");
  });

  it("edits a workflow's tags in a dialog, with suggestions", async () => {
    startTagged();
    renderApp("/workflows");
    await screen.findByRole("table");
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Edit tags of Plain" }));
    const dialog = screen.getByRole("dialog", { name: "Tags of “Plain”" });
    const input = within(dialog).getByRole("combobox", { name: "Tags" });
    expect(input).toHaveFocus();
    await user.type(input, "OP");
    await user.click(within(dialog).getByRole("option", { name: "ops" }));
    await user.type(input, "nightly{Enter}");
    await user.click(within(dialog).getByRole("button", { name: "Save tags" }));
    expect(await screen.findByText("Saved the tags of “Plain”.")).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).toBeNull();
    const patch = server?.requests.find((r) => r.method === "PATCH");
    expect(await patch?.json()).toEqual({ tags: ["ops", "nightly"], version: 1 });
    await waitFor(() =>
      expect(within(screen.getByRole("list", { name: "Tags of Plain" })).getAllByRole("button").map((b) => b.textContent)).toEqual([
        "ops",
        "nightly",
      ]),
    );

    // Escape first closes the open suggestions, then the dialog.
    await user.click(screen.getByRole("button", { name: "Edit tags of Plain" }));
    expect(screen.getByRole("combobox", { name: "Tags" })).toHaveAttribute("aria-expanded", "true");
    await user.keyboard("{Escape}");
    expect(screen.getByRole("combobox", { name: "Tags" })).toHaveAttribute("aria-expanded", "false");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
  });
});
