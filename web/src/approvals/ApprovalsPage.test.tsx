import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };

const pending = {
  execution_id: "ex9",
  workflow_id: 7,
  node_id: "agent",
  call_id: "call_1",
  tool: "file_issue",
  arguments: { title: "Outage" },
  requested_at: "2026-11-01T10:00:00Z",
  links: {},
};

let server: FakeApi | undefined;
afterEach(() => server?.restore());

describe("the approvals page", () => {
  it("lists waiting tool calls with their arguments and rejects one with a reason", async () => {
    let waiting = [pending];
    const decisions: unknown[] = [];
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: owner }),
      "GET /api/approvals": () => waiting,
      "POST /api/approvals/ex9/agent/call_1": async (request) => {
        decisions.push(await request.json());
        waiting = [];
        return { execution_id: "ex9", status: "resumed" };
      },
    });
    renderApp("/approvals");
    const card = await screen.findByRole("article", { name: "file_issue in execution ex9" });
    expect(within(card).getByLabelText("Arguments")).toHaveTextContent('"title": "Outage"');
    const user = userEvent.setup();
    await user.type(within(card).getByLabelText("Reason (optional)"), "freeze");
    await user.click(within(card).getByRole("button", { name: "Reject" }));
    expect(await screen.findByText("Nothing waits for an approval.")).toBeInTheDocument();
    expect(decisions).toEqual([{ approved: false, reason: "freeze" }]);
  });
});
