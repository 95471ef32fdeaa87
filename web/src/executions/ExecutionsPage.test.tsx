import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

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

  it("polls while an execution runs, and stops when paused", async () => {
    let calls = 0;
    base({
      "GET /api/executions": () => {
        calls += 1;
        return { items: [execution("e1", "running")], next_cursor: null };
      },
    });
    renderApp("/executions");
    await screen.findByRole("table");
    expect(screen.getByText("Refreshing every few seconds")).toBeInTheDocument();
    await waitFor(() => expect(calls).toBeGreaterThanOrEqual(2), { timeout: 8000 });

    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Pause auto-refresh" }));
    expect(screen.getByRole("button", { name: "Resume auto-refresh" })).toHaveAttribute("aria-pressed", "true");
    const paused = calls;
    await new Promise((r) => setTimeout(r, 4000));
    expect(calls).toBe(paused);
  });

  it("shows the API's error", async () => {
    base({
      "GET /api/executions": () => json({ detail: "limit: must be at most 500", code: "validation_error", errors: [] }, 422),
    });
    renderApp("/executions");
    expect(await screen.findByRole("alert")).toHaveTextContent("Could not load executions: limit: must be at most 500");
  });
});
