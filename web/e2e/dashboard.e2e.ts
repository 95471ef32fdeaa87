/**
 * The Dashboard against a real server in a real browser: workflows that succeed, fail and
 * take a while are run, and their numbers show up in the KPI cards, the chart (drawn by the
 * lazily loaded chart code), its table and the workflow tables; the links lead to the
 * Executions list filtered the same way, whose time filter and row actions are used too. A
 * viewer reads the dashboard and gets no row actions. Any console error, failed request or
 * HTTP error fails the run. Screenshots land in web/test-results/screenshots (dash-*).
 */
import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { createOwner } from "./helpers";
import { startServer, waitFor, type RunningServer } from "./server";

const OWNER = { email: "dora@example.com", password: "dashboard password 1" };
const VIEWER = { email: "vic@example.com", password: "viewer password 123" };

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

it("shows what ran on the dashboard and leads to those executions", async () => {
  try {
    const ids = await setUp();
    await dashboard(ids);
    await executionsFromTheDashboard(ids);
    await asViewer();
  } catch (error) {
    await browser.screenshot("dash-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(browser.problems).toEqual([]);
});

async function csrfHeaders(): Promise<Record<string, string>> {
  const csrf = (await browser.context.cookies()).find((c) => c.name === "wirework_csrf")?.value ?? "";
  return { "X-CSRF-Token": csrf };
}

async function post<T>(path: string, data: unknown): Promise<T> {
  const resp = await browser.page.request.post(path, { data, headers: await csrfHeaders() });
  const text = await resp.text();
  expect(resp.status(), `${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as T;
}

async function workflow(name: string, second: object): Promise<number> {
  const nodes = [{ id: "start", type: "core.manual" }, { id: "next", ...second }];
  return (await post<{ id: number }>("/api/workflows", { name, nodes, connections: [{ from: "start", to: "next" }] })).id;
}

async function run(id: number): Promise<{ id: string; status: string }> {
  return post(`/api/workflows/${id}/execute?wait=true`, { input: {} });
}

interface Ids {
  quick: number;
  fails: number;
  slow: number;
}

async function setUp(): Promise<Ids> {
  const { page } = browser;
  await page.goto("/setup");
  await createOwner(page, "Dora", OWNER);

  const quick = await workflow("Quick", { type: "core.set", params: { fields: { ok: true } } });
  const fails = await workflow("Fails", { type: "core.stop_error", params: { message: "stopped on purpose" } });
  const slow = await workflow("Slow", { type: "core.wait", params: { seconds: 1.2 } });
  for (let n = 0; n < 3; n += 1) expect((await run(quick)).status).toBe("success");
  for (let n = 0; n < 2; n += 1) expect((await run(fails)).status).toBe("error");
  const waiting = await run(slow); // waits durably, then ends on its own
  await waitFor("the slow execution to end", async () => {
    const resp = await page.request.get(`/api/executions/${waiting.id}`);
    return ((await resp.json()) as { status: string }).status === "success";
  });
  return { quick, fails, slow };
}

async function dashboard(ids: Ids) {
  const { page, screenshot } = browser;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
  const kpis = page.getByRole("list", { name: "Key figures" });
  const card = (label: string) => kpis.getByRole("listitem").filter({ hasText: label });
  await card("Executions").getByText("6", { exact: true }).waitFor();
  expect(await card("Failures").textContent()).toContain("2");
  expect(await card("Failure rate").textContent()).toMatch(/33[.,]3\s?%/);
  expect(await card("Failure rate").textContent()).toContain("of 6 that ended");
  expect(await card("Average run time").textContent()).not.toContain("—");

  // The chart's code arrives on demand and draws a bar segment per status that ran.
  const chart = page.getByRole("img", { name: "Executions per hour by status" });
  await chart.locator(".recharts-bar-rectangle").first().waitFor();
  expect(await chart.locator(".recharts-bar-rectangle").count()).toBeGreaterThanOrEqual(2);
  expect(await chart.getAttribute("aria-describedby")).toBeTruthy();
  await page.getByText(/^6 executions over 2[45] hours, 2 failed/).waitFor();

  const slowest = page.getByRole("table", { name: "Slowest workflows, by average run time" });
  const firstSlow = slowest.getByRole("row").nth(1);
  expect(await firstSlow.getByRole("link").first().textContent()).toBe("Slow");
  expect(await firstSlow.textContent()).toMatch(/1\.\d s/);
  expect(await firstSlow.getByRole("link").first().getAttribute("href")).toBe(`/workflows/${ids.slow}`);
  const failing = page.getByRole("table", { name: "Workflows with the most failed executions" });
  expect(await failing.getByRole("row").count()).toBe(2);
  expect(await failing.getByRole("row").nth(1).textContent()).toMatch(/Fails2 \/ 2100\s?%/);
  await screenshot("dash-01-24h");

  // The same numbers as a table.
  await page.getByRole("button", { name: "Table" }).click();
  const table = page.getByRole("table", { name: "Executions per hour by status" });
  const totals = await table.locator("tbody tr td:last-child").allTextContents();
  expect(totals.reduce((sum, t) => sum + Number(t), 0)).toBe(6);
  await screenshot("dash-02-table");
  await page.getByRole("button", { name: "Chart" }).click();

  // Another period: days instead of hours; kept in the address.
  await page.getByRole("radio", { name: "Last 7 days" }).click();
  await page.waitForURL("**/dashboard?period=7d");
  await page.getByRole("img", { name: "Executions per day by status" }).locator(".recharts-bar-rectangle").first().waitFor();

  // Dark theme.
  await page.getByRole("button", { name: "Switch to dark theme" }).click();
  await screenshot("dash-03-7d-dark");
  await page.getByRole("button", { name: "Switch to light theme" }).click();
}

async function executionsFromTheDashboard(ids: Ids) {
  const { page, screenshot } = browser;
  await page.getByRole("radio", { name: "Last 24 hours" }).click();
  await page.waitForURL("**/dashboard?period=24h");
  await page.getByRole("link", { name: "2 failed executions of Fails" }).click();
  await page.waitForURL(`**/executions?workflow_id=${ids.fails}&status=error&period=24h`);
  await page.getByRole("heading", { name: "Executions", level: 1 }).waitFor();
  const rows = page.getByRole("table").getByRole("row");
  await expect.poll(() => rows.count()).toBe(1 + 2);
  expect(await page.getByLabel("Started").inputValue()).toBe("24h");
  await page.getByText("Refreshing every 5 s").waitFor();

  // Retry from a row: a new (failing) execution, linked from the notice.
  await rows.nth(1).getByRole("button", { name: /^Retry execution / }).click();
  const notice = page.getByRole("status").filter({ hasText: /Retry of .+ started/ });
  await notice.waitFor();
  await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1 + 3); // the list refreshes itself
  await screenshot("dash-04-executions-from-dashboard");

  // A custom range in the future matches nothing; one ending before it starts is refused.
  await page.getByLabel("Started").selectOption("custom");
  expect(await page.getByLabel("Range start").inputValue()).not.toBe("");
  const tomorrow = new Date(Date.now() + 86_400_000);
  const local = (d: Date) =>
    `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}T09:00`;
  await page.getByLabel("Range start").fill(local(tomorrow));
  await page.getByText("No execution matches.").waitFor();
  await page.getByLabel("Range end").fill(local(new Date(Date.now() - 86_400_000)));
  await page.getByText("The range must end after it starts.").waitFor();
  await screenshot("dash-05-custom-range-refused");
  await page.getByLabel("Started").selectOption("1h");
  await expect.poll(() => rows.count()).toBe(1 + 3);

  // Auto-refresh can be turned off.
  await page.getByRole("button", { name: "Auto-refresh" }).click();
  await page.getByText("Auto-refresh is off").waitFor();
}

async function asViewer() {
  const { page, screenshot } = browser;
  await post("/api/users", { email: VIEWER.email, password: VIEWER.password, role: "viewer" });
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await page.getByLabel("E-mail").fill(VIEWER.email);
  await page.getByLabel("Password").fill(VIEWER.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Workflows" }).waitFor();
  // In-app navigation (a page load would abort the Workflows page's requests).
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Dashboard" }).click();
  await page.getByRole("list", { name: "Key figures" }).getByText("7", { exact: true }).waitFor();
  await page.getByRole("link", { name: "Show failed executions" }).click();
  await page.waitForURL("**/executions?status=error&period=24h");
  await expect.poll(() => page.getByRole("table").getByRole("row").count()).toBe(1 + 3);
  expect(await page.getByRole("columnheader", { name: "Actions" }).count()).toBe(0);
  expect(await page.getByRole("button", { name: /^Retry execution / }).count()).toBe(0);
  await screenshot("dash-06-viewer-executions");
}
