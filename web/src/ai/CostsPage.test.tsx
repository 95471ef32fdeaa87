import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";
import { priceBody } from "./CostsPage";
import { limitBody, scopeName } from "./LimitsSection";

const user = (role: string) => ({ id: 1, email: "me@example.com", name: "Me", role, is_active: true, created_at: "2026-11-01T00:00:00Z" });
const UPDATED = "2026-11-10T10:00:00Z";

const PRICES = [
  { id: 1, provider: "anthropic", model: "claude-sonnet-4", input_per_million: "3", output_per_million: "15", updated_at: UPDATED },
  { id: 2, provider: "openai", model: "gpt-4o", input_per_million: "2.5", output_per_million: "10", updated_at: UPDATED },
];
const LIMITS = [
  { id: 7, scope: "instance", scope_id: null, label: "instance", daily_limit: "20", spent_today: "1.5", updated_at: UPDATED },
  { id: 8, scope: "workflow", scope_id: 12, label: "Triage", daily_limit: "5", spent_today: "5.0025", updated_at: UPDATED },
];
const WORKFLOWS = [
  { id: 12, name: "Triage" },
  { id: 13, name: "Nightly report" },
];
const USAGE = {
  group_by: "day",
  from: "2026-11-10",
  to: "2026-11-10",
  groups: [],
  total: { calls: 3, input_tokens: 10, output_tokens: 5, cost: "6.5025", unpriced_calls: 1 },
};

function validation(field: string, message: string) {
  return json({ detail: `${field}: ${message}`, code: "validation_error", errors: [{ field, message }] }, 422);
}

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function serve(role = "owner", routes: Parameters<typeof fakeApi>[0] = {}) {
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: user(role) }),
    "GET /api/ai/prices": () => PRICES,
    "GET /api/ai/limits": () => LIMITS,
    "GET /api/ai/usage": () => USAGE,
    "GET /api/workflows": (req) => {
      const name = new URL(req.url).searchParams.get("name")?.toLowerCase() ?? "";
      const items = WORKFLOWS.filter((w) => w.name.toLowerCase().includes(name));
      return { items, total: items.length, limit: 200, offset: 0 };
    },
    ...routes,
  });
}

function requestsTo(method: string, path: string) {
  return server!.requests.filter((r) => r.method === method && new URL(r.url).pathname === path);
}

async function bodyOf(method: string, path: string, index = -1) {
  const req = requestsTo(method, path).at(index);
  return req ? await req.json() : undefined;
}

describe("the AI costs page: prices", () => {
  it("shows the price table per million tokens", async () => {
    serve("owner");
    renderApp("/ai/costs");
    const table = await screen.findByRole("table", { name: "Prices per million tokens" });
    const row = within(table).getByRole("row", { name: /gpt-4o/ });
    expect(row).toHaveTextContent("openai");
    expect(row).toHaveTextContent("2.50");
    expect(row).toHaveTextContent("10.00");
    expect(within(table).getAllByRole("row")).toHaveLength(3);
    expect(screen.getByRole("link", { name: "AI costs" })).toHaveAttribute("aria-current", "page");
  });

  it("adds a price, and shows the API's 422 next to its field and a 409 next to the model", async () => {
    let answer: () => Response = () => validation("body.input_per_million", "Input should be greater than or equal to 0");
    serve("admin", { "POST /api/ai/prices": () => answer() });
    renderApp("/ai/costs");
    await userEvent.click(await screen.findByRole("button", { name: "Add price" }));
    const form = screen.getByRole("form", { name: "Add a price" });
    await userEvent.type(within(form).getByLabelText("Provider"), "mistral");
    await userEvent.type(within(form).getByLabelText("Model"), "mistral-large");
    await userEvent.type(within(form).getByLabelText("Input price per million tokens"), "-1");
    await userEvent.type(within(form).getByLabelText("Output price per million tokens"), "6");
    await userEvent.click(within(form).getByRole("button", { name: "Add price" }));

    await waitFor(() =>
      expect(within(form).getByLabelText("Input price per million tokens")).toHaveAccessibleDescription(
        "Input should be greater than or equal to 0",
      ),
    );
    expect(within(form).getByRole("alert")).toHaveTextContent("Could not save the price");
    expect(await bodyOf("POST", "/api/ai/prices")).toEqual({
      provider: "mistral",
      model: "mistral-large",
      input_per_million: "-1",
      output_per_million: "6",
    });

    answer = () => json({ detail: "mistral/mistral-large already has a price (id 9)", code: "conflict", errors: [] }, 409);
    const input = within(form).getByLabelText("Input price per million tokens");
    await userEvent.clear(input);
    await userEvent.type(input, "2");
    await userEvent.click(within(form).getByRole("button", { name: "Add price" }));
    await waitFor(() =>
      expect(within(form).getByLabelText("Model")).toHaveAccessibleDescription("mistral/mistral-large already has a price (id 9)"),
    );
    expect(within(form).getByLabelText("Input price per million tokens")).not.toHaveAccessibleDescription();

    answer = () => json({ ...PRICES[1], id: 9, provider: "mistral", model: "mistral-large", input_per_million: "2", output_per_million: "6" }, 201);
    await userEvent.click(within(form).getByRole("button", { name: "Add price" }));
    expect(await screen.findByText("Saved the price of mistral/mistral-large.")).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Add a price" })).toBeNull();
    await waitFor(() => expect(requestsTo("GET", "/api/ai/prices").length).toBeGreaterThan(1));
  });

  it("edits a price and deletes one after asking", async () => {
    serve("owner", {
      "PUT /api/ai/prices/2": () => ({ ...PRICES[1], input_per_million: "2.25" }),
      "DELETE /api/ai/prices/1": () => new Response(null, { status: 204 }),
    });
    renderApp("/ai/costs");
    await userEvent.click(await screen.findByRole("button", { name: "Edit openai/gpt-4o" }));
    const form = screen.getByRole("form", { name: "Edit the price of openai/gpt-4o" });
    expect(within(form).getByLabelText("Model")).toHaveValue("gpt-4o");
    const input = within(form).getByLabelText("Input price per million tokens");
    expect(input).toHaveValue("2.5");
    await userEvent.clear(input);
    await userEvent.type(input, "2.25");
    await userEvent.click(within(form).getByRole("button", { name: "Save price" }));
    await waitFor(async () =>
      expect(await bodyOf("PUT", "/api/ai/prices/2")).toEqual({
        provider: "openai",
        model: "gpt-4o",
        input_per_million: "2.25",
        output_per_million: "10",
      }),
    );
    expect(await screen.findByText("Saved the price of openai/gpt-4o.")).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Delete anthropic/claude-sonnet-4" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete the price of anthropic/claude-sonnet-4?" });
    expect(requestsTo("DELETE", "/api/ai/prices/1")).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Deleted the price of anthropic/claude-sonnet-4.")).toBeInTheDocument();
    expect(requestsTo("DELETE", "/api/ai/prices/1")).toHaveLength(1);
  });
});

describe("the AI costs page: daily spending limits", () => {
  it("shows each limit with what its scope spent today, and the instance's day", async () => {
    serve("owner");
    renderApp("/ai/costs");
    const table = await screen.findByRole("table", { name: "Daily spending limits" });
    const instance = within(table).getByRole("row", { name: /Whole instance/ });
    expect(instance).toHaveTextContent("20.00");
    expect(instance).toHaveTextContent("1.50");
    expect(instance).toHaveTextContent("7%");
    const triage = within(table).getByRole("row", { name: /Triage/ });
    expect(triage).toHaveTextContent("5.00");
    expect(triage).toHaveTextContent("reached");
    expect(within(triage).getByRole("link", { name: "Triage" })).toHaveAttribute("href", "/workflows/12");
    expect(await screen.findByText(/by the whole instance:/)).toHaveTextContent("6.50 · 3 model calls (1 unpriced, not counted)");
  });

  it("sets the instance's limit, then a workflow's picked by name, with errors at their fields", async () => {
    let answer: () => Response = () => validation("body.daily_limit", "Input should be greater than 0");
    serve("admin", { "PUT /api/ai/limits": () => answer() });
    renderApp("/ai/costs");
    const form = await screen.findByRole("form", { name: "Set a daily limit" });
    expect(within(form).getByLabelText("Applies to")).toHaveValue("instance");
    expect(await within(form).findByText("Replaces the current limit of Whole instance: 20.00 a day.")).toBeInTheDocument();
    await userEvent.type(within(form).getByLabelText("Daily limit"), "0");
    await userEvent.click(within(form).getByRole("button", { name: "Set limit" }));
    await waitFor(() => expect(within(form).getByLabelText("Daily limit")).toHaveAccessibleDescription("Input should be greater than 0"));
    expect(await bodyOf("PUT", "/api/ai/limits")).toEqual({ scope: "instance", daily_limit: "0" });

    answer = () => json({ ...LIMITS[0], daily_limit: "25" });
    await userEvent.clear(within(form).getByLabelText("Daily limit"));
    await userEvent.type(within(form).getByLabelText("Daily limit"), "25");
    await userEvent.click(within(form).getByRole("button", { name: "Set limit" }));
    expect(await screen.findByText("Set the daily limit of Whole instance to 25.00.")).toBeInTheDocument();
    expect(within(form).getByLabelText("Daily limit")).toHaveValue("");

    // A workflow: none chosen is the server's 422 on scope_id, shown at the picker.
    answer = () => validation("scope_id", "a workflow limit needs the workflow's id");
    await userEvent.selectOptions(within(form).getByLabelText("Applies to"), "workflow");
    await userEvent.type(within(form).getByLabelText("Daily limit"), "3");
    await userEvent.click(within(form).getByRole("button", { name: "Set limit" }));
    const picker = within(form).getByLabelText("Workflow", { exact: true });
    await waitFor(() => expect(picker).toHaveAccessibleDescription("a workflow limit needs the workflow's id"));
    expect(await bodyOf("PUT", "/api/ai/limits")).toEqual({ scope: "workflow", scope_id: null, daily_limit: "3" });

    await userEvent.type(within(form).getByLabelText("Find a workflow by name"), "night");
    await waitFor(() => expect(within(picker).queryByRole("option", { name: "Triage" })).toBeNull());
    expect(new URL(requestsTo("GET", "/api/workflows").at(-1)!.url).searchParams.get("name")).toBe("night");
    await userEvent.selectOptions(picker, "Nightly report");
    answer = () => json({ id: 9, scope: "workflow", scope_id: 13, label: "Nightly report", daily_limit: "3", spent_today: "0", updated_at: UPDATED });
    await userEvent.click(within(form).getByRole("button", { name: "Set limit" }));
    expect(await screen.findByText("Set the daily limit of Nightly report to 3.00.")).toBeInTheDocument();
    expect(await bodyOf("PUT", "/api/ai/limits")).toEqual({ scope: "workflow", scope_id: 13, daily_limit: "3" });
  });

  it("changes a workflow's limit from its row and removes one after asking", async () => {
    serve("owner", {
      "PUT /api/ai/limits": () => ({ ...LIMITS[1], daily_limit: "8" }),
      "DELETE /api/ai/limits/7": () => new Response(null, { status: 204 }),
    });
    renderApp("/ai/costs");
    await userEvent.click(await screen.findByRole("button", { name: "Change the limit of Triage" }));
    const form = screen.getByRole("form", { name: "Set a daily limit" });
    expect(within(form).getByLabelText("Applies to")).toHaveValue("workflow");
    expect(within(form).getByLabelText("Workflow", { exact: true })).toHaveValue("12");
    const amount = within(form).getByLabelText("Daily limit");
    expect(amount).toHaveValue("5");
    expect(amount).toHaveFocus();
    await userEvent.clear(amount);
    await userEvent.type(amount, "8");
    await userEvent.click(within(form).getByRole("button", { name: "Set limit" }));
    await waitFor(async () => expect(await bodyOf("PUT", "/api/ai/limits")).toEqual({ scope: "workflow", scope_id: 12, daily_limit: "8" }));

    await userEvent.click(screen.getByRole("button", { name: "Remove the limit of Whole instance" }));
    const dialog = screen.getByRole("alertdialog", { name: "Remove the daily limit of Whole instance?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Remove" }));
    expect(await screen.findByText("Removed the daily limit of Whole instance.")).toBeInTheDocument();
    expect(requestsTo("DELETE", "/api/ai/limits/7")).toHaveLength(1);
  });
});

describe("the AI costs page for editors and viewers", () => {
  it.each(["viewer", "editor"])("is read-only for a %s: no button that the API would refuse", async (role) => {
    serve(role);
    renderApp("/ai/costs");
    await screen.findByRole("table", { name: "Prices per million tokens" });
    await screen.findByRole("table", { name: "Daily spending limits" });
    expect(screen.getByText(/Only owners and admins change prices and limits/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Add price" })).toBeNull();
    expect(screen.queryByRole("button", { name: /^(Edit|Delete) / })).toBeNull();
    expect(screen.queryByRole("form", { name: "Set a daily limit" })).toBeNull();
    expect(screen.queryByRole("button", { name: /^(Change|Remove) the limit/ })).toBeNull();
    expect(screen.queryByRole("columnheader", { name: "Actions" })).toBeNull();
    expect(server!.requests.filter((r) => r.method !== "GET")).toHaveLength(0);
  });
});

describe("the request bodies", () => {
  it("send what was typed, trimmed, as exact decimal strings", () => {
    expect(priceBody({ provider: " openai ", model: "gpt-4o ", input: " 2.50", output: "10" })).toEqual({
      provider: "openai",
      model: "gpt-4o",
      input_per_million: "2.50",
      output_per_million: "10",
    });
    expect(limitBody({ scope: "instance", workflowId: "12", amount: " 5 " })).toEqual({ scope: "instance", daily_limit: "5" });
    expect(limitBody({ scope: "workflow", workflowId: "12", amount: "5" })).toEqual({ scope: "workflow", scope_id: 12, daily_limit: "5" });
    expect(scopeName({ scope: "project", label: "project #3" })).toBe("project #3");
  });
});
