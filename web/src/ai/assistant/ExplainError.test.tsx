import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, type FakeApi } from "../../test/fakeApi";
import { ExplainError } from "./ExplainError";

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function show(role: string) {
  server = fakeApi({
    "GET /api/auth/session": () => ({ user: { id: 1, email: "a@b.c", name: "A", role, is_active: true, created_at: "" } }),
    "POST /api/ai/explain-error": () => ({ explanation: "Nothing listens on port 1.", suggestions: ["Fix the URL", "Check the host"] }),
  });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <ExplainError executionId="ex1" nodeId="call" />
    </QueryClientProvider>,
  );
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

  it("is not offered to viewers", async () => {
    show("viewer");
    await waitFor(() => expect(server!.requests.some((r) => r.url.endsWith("/api/auth/session"))).toBe(true));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole("button", { name: /Explain/ })).not.toBeInTheDocument();
  });
});
