import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };

function execution(id: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    workflow_id: 7,
    workflow_version: 2,
    status,
    mode: "manual",
    started_at: "2026-11-01T10:00:00Z",
    finished_at: status === "running" ? null : "2026-11-01T10:00:01.500Z",
    error: null,
    retry_of: null,
    parent_execution_id: null,
    ...extra,
  };
}

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function base(routes: Parameters<typeof fakeApi>[0]) {
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: owner }),
    "GET /api/workflows": () => ({
      items: [{ id: 7, name: "Orders" }, { id: 8, name: "Alerts" }],
      total: 2,
      limit: 200,
      offset: 0,
    }),
    ...routes,
  });
}

function listCalls() {
  return (server?.requests ?? []).filter((r) => new URL(r.url).pathname === "/api/executions");
}

function executionIds(): string[] {
  const table = screen.getByRole("table");
  return within(table)
    .getAllByRole("link")
    .map((a) => a.textContent ?? "");
}

describe("the executions list", () => {
  it("filters by workflow and status from the address, and pages with the cursor", async () => {
    base({
      "GET /api/executions": (req) => {
        const q = new URL(req.url).searchParams;
        if (q.get("cursor") === "c2") return { items: [execution("e3", "success")], next_cursor: null };
        if (q.get("status") === "error") return { items: [execution("e9", "error", { error: { message: "boom" } })], next_cursor: null };
        return { items: [execution("e1", "success"), execution("e2", "canceled")], next_cursor: "c2" };
      },
    });
    const view = renderApp("/executions?workflow_id=7");
    await screen.findByRole("table");
    expect(executionIds()).toEqual(["e1", "e2"]);
    expect(screen.getByLabelText("Workflow")).toHaveValue("7");
    expect(new URL(listCalls()[0]!.url).searchParams.get("workflow_id")).toBe("7");
    expect(screen.getAllByText("Orders (v2)")).toHaveLength(2);
    expect(screen.getAllByText("1.5 s")).toHaveLength(2);

    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(executionIds()).toEqual(["e1", "e2", "e3"]));
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();

    await user.selectOptions(screen.getByLabelText("Status"), "error");
    await waitFor(() => expect(executionIds()).toEqual(["e9"]));
    expect(view.location()).toBe("/executions?workflow_id=7&status=error");
    expect(screen.getByText("boom")).toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Workflow"), "");
    expect(view.location()).toBe("/executions?status=error");
  });

  it("refreshes itself every few seconds until auto-refresh is turned off", async () => {
    let calls = 0;
    base({
      "GET /api/executions": () => {
        calls += 1;
        return { items: [execution("e1", "success")], next_cursor: null };
      },
    });
    renderApp("/executions");
    await screen.findByRole("table");
    const toggle = screen.getByRole("button", { name: "Auto-refresh" });
    expect(toggle).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByText("Refreshing every 5 s")).toBeInTheDocument();
    await waitFor(() => expect(calls).toBeGreaterThanOrEqual(2), { timeout: 12_000 });

    const user = userEvent.setup();
    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-pressed", "false");
    expect(screen.getByText("Auto-refresh is off")).toBeInTheDocument();
    const off = calls;
    await new Promise((r) => setTimeout(r, 6000));
    expect(calls).toBe(off);
  });

  it("says when auto-refresh waits for the tab to be visible again", async () => {
    base({ "GET /api/executions": () => ({ items: [execution("e1", "success")], next_cursor: null }) });
    renderApp("/executions");
    await screen.findByRole("table");
    const hidden = vi.spyOn(document, "visibilityState", "get").mockReturnValue("hidden");
    try {
      act(() => void document.dispatchEvent(new Event("visibilitychange")));
      expect(screen.getByText("Auto-refresh paused while this tab is hidden")).toBeInTheDocument();
    } finally {
      hidden.mockRestore();
    }
    act(() => void document.dispatchEvent(new Event("visibilitychange")));
    expect(screen.getByText("Refreshing every 5 s")).toBeInTheDocument();
  });

  it("filters by start time: presets count back from now, a custom range is sent as it is", async () => {
    base({ "GET /api/executions": () => ({ items: [execution("e1", "success")], next_cursor: null }) });
    const view = renderApp("/executions?status=success&period=24h");
    await screen.findByRole("table");
    const started = screen.getByLabelText("Started");
    expect(started).toHaveValue("24h");
    let q = new URL(listCalls().at(-1)!.url).searchParams;
    expect(Date.now() - Date.parse(q.get("started_after")!)).toBeGreaterThanOrEqual(86_400_000 - 1000);
    expect(Date.now() - Date.parse(q.get("started_after")!)).toBeLessThan(86_400_000 + 60_000);
    expect(q.get("started_before")).toBeNull();
    expect(q.get("status")).toBe("success");

    const user = userEvent.setup();
    await user.selectOptions(started, "1h");
    expect(view.location()).toBe("/executions?status=success&period=1h");

    await user.selectOptions(started, "custom");
    const from = screen.getByLabelText("Range start");
    expect(from).not.toHaveValue(""); // starts from what the preset showed
    fireEvent.change(from, { target: { value: "2026-11-01T08:00" } });
    fireEvent.change(screen.getByLabelText("Range end"), { target: { value: "2026-11-02T08:00" } });
    const after = new Date("2026-11-01T08:00").toISOString();
    const before = new Date("2026-11-02T08:00").toISOString();
    await waitFor(() => {
      q = new URL(listCalls().at(-1)!.url).searchParams;
      expect([q.get("started_after"), q.get("started_before")]).toEqual([after, before]);
    });
    expect(view.location()).toBe(
      `/executions?status=success&started_after=${encodeURIComponent(after)}&started_before=${encodeURIComponent(before)}`,
    );

    // A range that ends before it starts is not asked for: the fields say why.
    const calls = listCalls().length;
    fireEvent.change(screen.getByLabelText("Range end"), { target: { value: "2026-10-01T08:00" } });
    expect(await screen.findByText("The range must end after it starts.")).toBeInTheDocument();
    expect(screen.getByLabelText("Range end")).toHaveAttribute("aria-invalid", "true");
    expect(listCalls().length).toBe(calls);
    expect(screen.queryByRole("table")).toBeNull(); // no stale rows under a range that is wrong

    await user.selectOptions(screen.getByLabelText("Started"), "any");
    expect(view.location()).toBe("/executions?status=success");
  });

  it("cancels and retries from the rows, each where the API allows it", async () => {
    base({
      "GET /api/executions": () => ({
        items: [execution("e1", "running"), execution("e2", "error"), execution("e3", "success")],
        next_cursor: null,
      }),
      "POST /api/executions/e1/cancel": () => ({ ...execution("e1", "canceled"), steps: [], result: null }),
      "POST /api/executions/e2/retry": () => ({ ...execution("e4", "queued", { retry_of: "e2" }), steps: [], result: null }),
    });
    renderApp("/executions");
    await screen.findByRole("table");
    const row = (id: string) => screen.getByRole("row", { name: new RegExp(id) });
    await screen.findByRole("button", { name: "Cancel execution e1" });
    expect(within(row("e1")).queryByRole("button", { name: /Retry/ })).toBeNull();
    expect(within(row("e2")).queryByRole("button", { name: /Cancel/ })).toBeNull();
    expect(within(row("e3")).queryAllByRole("button")).toHaveLength(0);

    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Cancel execution e1" }));
    expect(await screen.findByText("Execution e1 is now canceled.")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText("Execution e1 is now canceled.")).toHaveFocus());

    await user.click(screen.getByRole("button", { name: "Retry execution e2" }));
    const notice = await screen.findByText(/Retry of e2 started/);
    expect(within(notice).getByRole("link", { name: "execution e4" })).toHaveAttribute("href", "/executions/e4");
  });

  it("shows no row actions to a viewer", async () => {
    base({
      "GET /api/auth/session": () => ({ user: { ...owner, role: "viewer" } }),
      "GET /api/executions": () => ({ items: [execution("e1", "running"), execution("e2", "error")], next_cursor: null }),
    });
    renderApp("/executions");
    await screen.findByRole("table");
    expect(screen.queryByRole("columnheader", { name: "Actions" })).toBeNull();
    expect(screen.queryByRole("button", { name: /execution e/ })).toBeNull();
  });

  it("shows the API's error", async () => {
    base({
      "GET /api/executions": () => json({ detail: "limit: must be at most 500", code: "validation_error", errors: [] }, 422),
    });
    renderApp("/executions");
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load executions: limit: must be at most 500");
  });
});
