/**
 * The AI costs page against a real server in a real browser: as the owner, add a price (a
 * bad amount first: the server's 422 lands next to its field), edit it, delete a price of the
 * seed; set the instance's daily limit and a workflow's (picked by name), remove the instance's;
 * reload and see it all persisted, and the API agrees. Any console error, failed request or
 * HTTP error, but the 422 provoked on purpose, fails the run.
 */
import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { createOwner } from "./helpers";
import { startServer, type RunningServer } from "./server";

const OWNER = { email: "cora@example.com", password: "ai costs password 1" };

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await openBrowser(server.url);
  console.log(`screenshots: ${SCREENSHOTS}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

interface Price {
  provider: string;
  model: string;
  input_per_million: string;
  output_per_million: string;
}

interface Limit {
  scope: string;
  scope_id: number | null;
  label: string;
  daily_limit: string;
  spent_today: string;
}

/** The 422 the test provokes (and Chromium's console line for it). */
function expected(problem: string): boolean {
  return problem.includes("422") && (problem.includes("POST") || problem.includes("Failed to load resource"));
}

it("edits the price table and the daily limits, and they persist", async () => {
  try {
    const workflowId = await setUp();
    await prices();
    await limits();
    await persisted(workflowId);
  } catch (error) {
    await browser.screenshot("ai-costs-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(browser.problems.filter((p) => !expected(p))).toEqual([]);
  expect(browser.problems.some((p) => p.startsWith("HTTP 422: POST"))).toBe(true);
});

async function get<T>(path: string): Promise<T> {
  const resp = await browser.page.request.get(path);
  expect(resp.status(), path).toBe(200);
  return (await resp.json()) as T;
}

/** The owner, and a workflow to limit (made through the API). */
async function setUp(): Promise<number> {
  const { page } = browser;
  await page.goto("/setup");
  await createOwner(page, "Cora", OWNER);
  const csrf = (await browser.context.cookies()).find((c) => c.name === "wirework_csrf")?.value ?? "";
  const resp = await page.request.post("/api/workflows", {
    data: { name: "Triage inbox", nodes: [{ id: "start", type: "core.manual" }], connections: [] },
    headers: { "X-CSRF-Token": csrf },
  });
  expect(resp.status(), await resp.text()).toBe(201);
  return ((await resp.json()) as { id: number }).id;
}

async function prices() {
  const { page } = browser;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "AI costs" }).click();
  const table = page.getByRole("table", { name: "Prices per million tokens" });
  await table.getByRole("row", { name: /gpt-4\.1-nano/ }).waitFor();

  // Add: a bad amount first (the server says why, next to the field), then a good one.
  await page.getByRole("button", { name: "Add price" }).click();
  const add = page.getByRole("form", { name: "Add a price" });
  await add.getByLabel("Provider").fill("mistral");
  await add.getByLabel("Model").fill("mistral-large");
  await add.getByLabel("Input price per million tokens").fill("two");
  await add.getByLabel("Output price per million tokens").fill("6");
  await add.getByRole("button", { name: "Add price" }).click();
  const input = add.getByLabel("Input price per million tokens");
  await expect.poll(() => input.getAttribute("aria-invalid")).toBe("true");
  const described = await input.getAttribute("aria-describedby");
  expect(await page.locator(`[id="${described}"]`).textContent()).toMatch(/decimal/i);
  await input.fill("2");
  await add.getByRole("button", { name: "Add price" }).click();
  await page.getByText("Saved the price of mistral/mistral-large.").waitFor();
  const row = table.getByRole("row", { name: /mistral-large/ });
  expect(await row.textContent()).toContain("6.00");

  // Edit it.
  await page.getByRole("button", { name: "Edit mistral/mistral-large" }).click();
  const edit = page.getByRole("form", { name: "Edit the price of mistral/mistral-large" });
  await edit.getByLabel("Output price per million tokens").fill("6.5");
  await edit.getByRole("button", { name: "Save price" }).click();
  await page.getByText("Saved the price of mistral/mistral-large.").waitFor();
  await expect.poll(() => row.textContent()).toContain("6.50");

  // Delete one of the seed.
  await page.getByRole("button", { name: "Delete openai/gpt-4.1-nano" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
  await page.getByText("Deleted the price of openai/gpt-4.1-nano.").waitFor();
  await table.getByRole("row", { name: /gpt-4\.1-nano/ }).waitFor({ state: "detached" });
}

async function limits() {
  const { page } = browser;
  const form = page.getByRole("form", { name: "Set a daily limit" });
  const table = page.getByRole("table", { name: "Daily spending limits" });

  // The instance's limit.
  await form.getByLabel("Daily limit").fill("20");
  await form.getByRole("button", { name: "Set limit" }).click();
  await page.getByText("Set the daily limit of Whole instance to 20.00.").waitFor();
  await table.getByRole("row", { name: /Whole instance/ }).waitFor();

  // A workflow's, picked by name.
  await form.getByLabel("Applies to").selectOption("workflow");
  await form.getByLabel("Find a workflow by name").fill("triage");
  const picker = form.getByLabel("Workflow", { exact: true });
  await picker.getByRole("option", { name: "Triage inbox" }).waitFor({ state: "attached" });
  await picker.selectOption({ label: "Triage inbox" });
  await form.getByLabel("Daily limit").fill("5");
  await form.getByRole("button", { name: "Set limit" }).click();
  await page.getByText("Set the daily limit of Triage inbox to 5.00.").waitFor();
  const triage = table.getByRole("row", { name: /Triage inbox/ });
  await triage.waitFor();
  expect(await triage.textContent()).toContain("5.00");
  await browser.screenshot("ai-costs");

  // Remove the instance's.
  await page.getByRole("button", { name: "Remove the limit of Whole instance" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Remove" }).click();
  await page.getByText("Removed the daily limit of Whole instance.").waitFor();
  await table.getByRole("row", { name: /Whole instance/ }).waitFor({ state: "detached" });
}

async function persisted(workflowId: number) {
  const { page } = browser;
  await page.reload();
  const prices = page.getByRole("table", { name: "Prices per million tokens" });
  const mistral = prices.getByRole("row", { name: /mistral-large/ });
  await mistral.waitFor();
  expect(await mistral.textContent()).toMatch(/mistral.*2\.00.*6\.50/);
  expect(await prices.getByRole("row", { name: /gpt-4\.1-nano/ }).count()).toBe(0);
  const limits = page.getByRole("table", { name: "Daily spending limits" });
  await limits.getByRole("row", { name: /Triage inbox/ }).waitFor();
  expect(await limits.getByRole("row").count()).toBe(2); // the header and Triage inbox

  const saved = await get<Price[]>("/api/ai/prices");
  expect(saved.find((p) => p.model === "mistral-large")).toMatchObject({
    provider: "mistral",
    input_per_million: "2",
    output_per_million: "6.5",
  });
  expect(saved.some((p) => p.model === "gpt-4.1-nano")).toBe(false);
  const set = await get<Limit[]>("/api/ai/limits");
  expect(set).toEqual([
    expect.objectContaining({ scope: "workflow", scope_id: workflowId, label: "Triage inbox", daily_limit: "5", spent_today: "0" }),
  ]);
}
