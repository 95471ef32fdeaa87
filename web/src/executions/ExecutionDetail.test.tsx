import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

import { NODE_TYPES } from "../editor/panel/fixtures/nodeTypes";
import { installFlowEnv } from "../editor/testing/flowEnv";
import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };

beforeAll(installFlowEnv);

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

const version = {
  workflow_id: 7,
  version: 2,
  name: "Orders",
  created_at: "2026-11-01T09:00:00Z",
  created_by: 1,
  document: {
    name: "Orders",
    nodes: [
      { id: "start", name: "Start", type: "core.manual", position: { x: 0, y: 0 } },
      { id: "call_api", name: "Call API", type: "core.http_request", params: { url: "https://api.example" }, position: { x: 300, y: 0 } },
    ],
    connections: [{ from: "start", to: "call_api" }],
  },
};

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function base(routes: Parameters<typeof fakeApi>[0]) {
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: owner }),
    "GET /api/workflows": () => ({ items: [{ id: 7, name: "Orders" }], total: 1, limit: 200, offset: 0 }),
    "GET /api/workflows/7/versions/2": () => version,
    "GET /api/node-types": () => NODE_TYPES,
    "GET /api/expressions/functions": () => ({ functions: [] }),
    ...routes,
  });
}

const detail = execution("ex1", "error", {
  error: { type: "NodeError", message: "HTTP 500 from api" },
  steps: [
    {
      node_id: "start",
      run_index: 0,
      status: "success",
      attempt: 1,
      started_at: "2026-11-01T10:00:00Z",
      finished_at: "2026-11-01T10:00:00.200Z",
      error: null,
      output: { main: [{ title: "Crash", severity: "high" }, { title: "Typo", extra: { a: 1 } }] },
      items_out: 3,
      truncated: true,
    },
    {
      node_id: "call_api",
      run_index: 0,
      status: "error",
      attempt: 3,
      started_at: "2026-11-01T10:00:00.200Z",
      finished_at: "2026-11-01T10:00:01.500Z",
      error: { type: "NodeError", message: "HTTP 500 from api" },
      output: null,
      items_out: 0,
      truncated: false,
    },
  ],
  result: null,
});

function step(node_id: string, extra: Record<string, unknown> = {}) {
  return {
    node_id,
    parent_node_id: null,
    run_index: 0,
    status: "success",
    attempt: 1,
    started_at: "2026-11-01T10:00:00Z",
    finished_at: "2026-11-01T10:00:00.100Z",
    error: null,
    output: { main: [{}] },
    items_out: 1,
    truncated: false,
    ...extra,
  };
}

describe("an execution's detail", () => {
  it("nests an agent's model and tool calls under the agent's step", async () => {
    const agentRun = execution("ex2", "success", {
      steps: [
        step("start"),
        step("call_api/model#1", { parent_node_id: "call_api" }),
        step("call_api/tool:lookup#1", { parent_node_id: "call_api", status: "error", error: { message: "invalid arguments" } }),
        step("call_api/model#2", { parent_node_id: "call_api" }),
        step("call_api"),
      ],
      result: [],
    });
    base({ "GET /api/executions/ex2": () => agentRun });
    renderApp("/executions/ex2");
    const steps = await screen.findByRole("table", { name: "Steps" });
    const names = within(steps)
      .getAllByRole("rowheader")
      .map((h) => h.textContent);
    expect(names).toEqual([
      "start",
      "call_api",
      "↳ call_api model#1",
      expect.stringMatching(/^↳ call_api tool:lookup#1invalid arguments/),
      "↳ call_api model#2",
    ]);
  });

  it("shows steps, the failed one highlighted, and a step's output as table and JSON", async () => {
    base({ "GET /api/executions/ex1": () => detail });
    renderApp("/executions/ex1");
    await screen.findByRole("heading", { name: "Execution ex1", level: 1 });
    const steps = await screen.findByRole("table", { name: "Steps" });
    const failed = within(steps).getByRole("row", { name: /call_api/ });
    expect(failed).toHaveTextContent("HTTP 500 from api");
    expect(failed).toHaveTextContent("error");
    expect(within(failed).getAllByRole("cell")[1]).toHaveTextContent("3"); // attempt
    expect(screen.getAllByRole("alert")[0]).toHaveTextContent("The execution failed: NodeError: HTTP 500 from api");

    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Show output of start" }));
    const output = screen.getByRole("region", { name: "Output of start" });
    expect(within(output).getByText(/Truncated/)).toBeInTheDocument();
    const headers = within(output).getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["#", "title", "severity", "extra.a"]);

    await user.click(within(output).getByRole("button", { name: "JSON" }));
    expect(output.textContent).toContain('"severity": "high"');

    await user.click(screen.getByRole("button", { name: "Show output of call_api" }));
    expect(screen.getByText("This step has no output.")).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Result" })).toBeNull();
  });

  it("replays the run on the workflow's canvas: status and items per node, a node's data in its panel", async () => {
    base({ "GET /api/executions/ex1": () => detail });
    const view = renderApp("/executions/ex1");
    await waitFor(() => expect(view.container.querySelectorAll(".react-flow__node")).toHaveLength(2));
    const start = view.container.querySelector('.react-flow__node[data-id="start"]')!;
    const call = view.container.querySelector('.react-flow__node[data-id="call_api"]')!;
    expect(start.querySelector("[data-status]")).toHaveAttribute("data-status", "success");
    expect(within(start as HTMLElement).getByLabelText(/succeeded, 3 items, 200 ms/)).toBeInTheDocument();
    expect(call.querySelector("[data-status]")).toHaveAttribute("data-status", "error");

    // (A click without a pointer press: d3's drag handling needs a real window.)
    fireEvent.click(within(call as HTMLElement).getByText("Call API"));
    const panel = await screen.findByRole("complementary", { name: "Node Call API" });
    expect(within(panel).getByRole("tab", { name: "Data" })).toHaveAttribute("aria-selected", "true");
    expect(within(panel).getByText(/This node failed: NodeError: HTTP 500 from api/)).toBeInTheDocument();
    // Its input: what Start emitted.
    const input = within(panel).getByRole("region", { name: "Input of Call API" });
    expect(within(input).getByText("Crash")).toBeInTheDocument();
    expect(within(panel).queryByRole("button", { name: /Test node/ })).toBeNull();
  });

  it("says so when the run has no saved workflow to draw", async () => {
    base({ "GET /api/executions/ex4": () => ({ ...execution("ex4", "success", { workflow_id: null }), steps: [], result: [] }) });
    renderApp("/executions/ex4");
    expect(await screen.findByText(/no saved workflow to draw/)).toBeInTheDocument();
  });

  it("shows the execution's result, truncated when the server says so", async () => {
    base({
      "GET /api/executions/ex3": () => ({
        ...execution("ex3", "success"),
        steps: [],
        result: [{ id: 1, total: 9.5 }],
        result_truncated: true,
      }),
    });
    renderApp("/executions/ex3");
    const result = await screen.findByRole("region", { name: "Result" });
    expect(within(result).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["#", "id", "total"]);
    expect(within(result).getByText(/only the first items of the result/)).toBeInTheDocument();
  });

  it("retries a failed execution and links to the new one; cancel is for running ones", async () => {
    base({
      "GET /api/executions/ex1": () => detail,
      "POST /api/executions/ex1/retry": () => execution("ex2", "queued", { retry_of: "ex1", steps: [] }),
    });
    renderApp("/executions/ex1");
    await screen.findByRole("table", { name: "Steps" });
    expect(screen.queryByRole("button", { name: "Cancel" })).toBeNull(); // only while running
    expect(await screen.findByRole("link", { name: "Orders (version 2)" })).toHaveAttribute("href", "/executions?workflow_id=7");
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Retry" }));
    const status = await screen.findByText(/Retry started/);
    await waitFor(() => expect(status).toHaveFocus());
    expect(within(status).getByRole("link", { name: "execution ex2" })).toHaveAttribute("href", "/executions/ex2");
  });

  it("shows why a cancel was refused", async () => {
    base({
      "GET /api/executions/ex5": () => ({ ...execution("ex5", "running"), steps: [], result: null }),
      "POST /api/executions/ex5/cancel": () => json({ detail: "conflict: the execution already finished", code: "conflict", errors: [] }, 409),
    });
    renderApp("/executions/ex5");
    const cancel = await screen.findByRole("button", { name: "Cancel" });
    expect(screen.queryByRole("button", { name: "Retry" })).toBeNull(); // only once failed or canceled
    expect(screen.getByText("No steps have run yet.")).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(cancel);
    expect(await screen.findByText(/Could not cancel: conflict: the execution already finished/)).toBeInTheDocument();
  });
});
