import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, type FakeApi } from "../../test/fakeApi";
import { AssistantSection } from "./AssistantSection";

let server: FakeApi | undefined;
afterEach(() => server?.restore());

const integration = (id: number, name: string, type: string) => ({
  id, name, type, integration_type_id: id, credentials: {}, active: true, allowed_hosts: null, created_at: "", updated_at: "",
}); // prettier-ignore

describe("the assistant's settings", () => {
  it("chooses a model provider integration and one of its models", async () => {
    server = fakeApi({
      "GET /api/ai/assistant": () => ({ configured: false, provider_types: ["openai"] }),
      "GET /api/integrations": () => [integration(5, "OpenAI", "openai"), integration(6, "Slack", "slack")],
      "GET /api/integrations/5/models": () => [{ id: "gpt-4o-mini", kind: "chat" }],
      "PUT /api/ai/assistant": async (req) => {
        const body = (await req.json()) as { integration_id: number; model: string };
        return { configured: true, integration_id: body.integration_id, integration_name: "OpenAI", model: body.model, provider_types: ["openai"] };
      },
    });
    const user = userEvent.setup();
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <AssistantSection />
      </QueryClientProvider>,
    );
    expect(await screen.findByText(/Not set up yet/)).toBeInTheDocument();
    const select = screen.getByLabelText("Model provider integration");
    await waitFor(() => expect(within(select).getAllByRole("option").map((o) => o.textContent)).toEqual(["(none)", "OpenAI (openai)"]));
    await user.selectOptions(select, "OpenAI (openai)");
    expect(await screen.findByText("1 model listed by the integration")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Model"), "gpt-4o-mini");
    await user.click(screen.getByRole("button", { name: "Save the assistant's model" }));
    expect(await screen.findByText("The assistant's model is saved.")).toBeInTheDocument();
    const put = server.requests.find((r) => r.method === "PUT")!;
    expect(await put.json()).toEqual({ integration_id: 5, model: "gpt-4o-mini" });
    expect(screen.getByText("Now: OpenAI · gpt-4o-mini")).toBeInTheDocument();
  });
});
