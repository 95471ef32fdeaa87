import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeApi, json, type FakeApi } from "../../test/fakeApi";
import { DescribeDialog } from "./DescribeDialog";

let server: FakeApi | undefined;
afterEach(() => server?.restore());

const current = {
  name: "Greet",
  nodes: [{ id: "start", type: "core.manual" }],
  connections: [],
};
const draft = {
  name: "Greet",
  nodes: [
    { id: "start", type: "core.manual", position: { x: 80, y: 80 } },
    { id: "greet", name: "Greet them", type: "core.set", params: { fields: { hi: "{{ json.name }}" } }, position: { x: 360, y: 80 } },
  ],
  connections: [{ from: "start", to: "greet" }],
};

describe("describe a workflow", () => {
  it("drafts the change, shows the nodes it adds and applies it", async () => {
    server = fakeApi({ "POST /api/ai/draft-workflow": () => ({ document: draft, attempts: 2 }) });
    const onApply = vi.fn();
    const user = userEvent.setup();
    render(<DescribeDialog current={current} onApply={onApply} onClose={() => undefined} />);
    expect(screen.getByRole("button", { name: "Apply to canvas" })).toBeDisabled();
    await user.type(screen.getByLabelText("What should the workflow do?"), "greet people by name");
    await user.click(screen.getByRole("button", { name: "Draft" }));

    const region = await screen.findByRole("region", { name: "Draft" });
    const rows = within(region).getAllByRole("listitem");
    expect(rows.map((r) => r.getAttribute("data-change"))).toEqual(["same", "added"]);
    expect(rows[1]).toHaveTextContent("Greet them");
    expect(region).toHaveTextContent("2 model calls");
    const sent = await server.requests[0]!.json();
    expect(sent).toEqual({ description: "greet people by name", document: current });

    await user.click(screen.getByRole("button", { name: "Apply to canvas" }));
    expect(onApply).toHaveBeenCalledOnce();
    expect(onApply.mock.calls[0]![0].nodes.map((n: { id: string }) => n.id)).toEqual(["start", "greet"]);
  });

  it("shows the problems of a refused draft, and how to set the assistant up", async () => {
    let answer = json(
      {
        detail: "no valid draft after 2 attempt(s)",
        code: "validation_error",
        errors: [
          { field: "answer", message: "nodes[1].type: unknown node type 'core.nope'" },
          { field: "answer", message: "connections[0].to: no node 'x'" },
        ],
      },
      422,
    );
    server = fakeApi({ "POST /api/ai/draft-workflow": () => answer });
    const user = userEvent.setup();
    render(<DescribeDialog current={{ name: "New", nodes: [], connections: [] }} onApply={() => undefined} onClose={() => undefined} />);
    expect(screen.queryByLabelText(/Change the current workflow/)).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("What should the workflow do?"), "something");
    await user.click(screen.getByRole("button", { name: "Draft" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("No draft: no valid draft after 2 attempt(s)");
    expect(alert).toHaveTextContent("unknown node type 'core.nope'");
    expect((await server.requests[0]!.json()).document).toBeNull();

    answer = json({ detail: "the AI assistant is not configured: PUT /api/ai/assistant", code: "assistant_not_configured", errors: [] }, 409);
    await user.click(screen.getByRole("button", { name: "Draft" }));
    expect(await screen.findByText(/The AI assistant is not set up/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Apply to canvas" })).toBeDisabled();
  });
});
