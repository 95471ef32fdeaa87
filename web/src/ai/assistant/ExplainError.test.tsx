import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../../test/fakeApi";
import { ExplainError } from "./ExplainError";

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function show(role: string, explain: () => unknown = () => ({ explanation: "Nothing listens on port 1.", suggestions: ["Fix the URL", "Check the host"] })) {
  server = fakeApi({
    "GET /api/auth/session": () => ({ user: { id: 1, email: "a@b.c", name: "A", role, is_active: true, created_at: "" } }),
    "POST /api/ai/explain-error": explain,
  });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const at = (executionId: string) => (
    <QueryClientProvider client={client}>
      <ExplainError executionId={executionId} nodeId="call" />
    </QueryClientProvider>
  );
  const view = render(at("ex1"));
  return { ...view, showExecution: (executionId: string) => view.rerender(at(executionId)) };
}

describe("explain this error", () => {
  it("asks for the failed step and shows the explanation and suggestions", async () => {
    show("editor");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Explain this error of call" }));
    const region = await screen.findByRole("region", { name: "Explanation of the error of call" });
    expect(region).toHaveTextContent("Nothing listens on port 1.");
    expect(region).toHaveTextContent("Fix the URL");
    const sent = server!.requests.find((r) => r.method === "POST")!;
    expect(await sent.json()).toEqual({ execution_id: "ex1", node_id: "call" });
  });

  it("starts afresh for another execution's failure", async () => {
    const view = show("editor");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Explain this error of call" }));
    await screen.findByRole("region", { name: "Explanation of the error of call" });
    view.showExecution("ex2");
    expect(screen.queryByRole("region", { name: "Explanation of the error of call" })).not.toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Explain this error of call" }));
    await screen.findByRole("region", { name: "Explanation of the error of call" });
    const asked = await Promise.all(server!.requests.filter((r) => r.method === "POST").map((r) => r.json()));
    expect(asked).toEqual([
      { execution_id: "ex1", node_id: "call" },
      { execution_id: "ex2", node_id: "call" },
    ]);
  });

  it("shows the server's words when there is no explanation", async () => {
    show("editor", () => json({ detail: "no explanation after 2 attempt(s); the last answer's problems: `explanation` is empty", code: "validation_error", errors: [{ field: "answer", message: "`explanation` is empty" }] }, 422));
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Explain this error of call" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("No explanation: no explanation after 2 attempt(s)");
    expect(screen.queryByRole("region", { name: "Explanation of the error of call" })).not.toBeInTheDocument();
    // It can be asked again.
    expect(screen.getByRole("button", { name: "Explain this error of call" })).toBeEnabled();
  });

  it("says when the assistant is not set up", async () => {
    show("editor", () => json({ detail: "the AI assistant is not configured", code: "assistant_not_configured", errors: [] }, 409));
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Explain this error of call" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The AI assistant is not set up: the AI assistant is not configured");
  });

  it("is not offered to viewers", async () => {
    show("viewer");
    await waitFor(() => expect(server!.requests.some((r) => r.url.endsWith("/api/auth/session"))).toBe(true));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole("button", { name: /Explain/ })).not.toBeInTheDocument();
  });
});
