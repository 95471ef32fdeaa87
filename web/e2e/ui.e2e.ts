/**
 * The web UI against a real server in a real browser: first-run set-up, log-out and log-in
 * (back to the page asked for), every page, and the workflows list end to end. Any console
 * error, page error, failed request or HTTP error fails the run. Screenshots of every page
 * land in web/test-results/screenshots.
 */
import { join } from "node:path";

import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { createOwner } from "./helpers";
import { ROOT, startServer, waitFor, type RunningServer } from "./server";

const OWNER = { name: "Ada Owner", email: "ada@example.com", password: "a long password 123" };
const EXAMPLE = join(ROOT, "examples/bug_report.yaml");
const EXAMPLE_NAME = "Bug report intake";

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

interface WorkflowRow {
  id: number;
  name: string;
  active: boolean;
}

async function workflows(): Promise<WorkflowRow[]> {
  const resp = await browser.page.request.get("/api/workflows");
  expect(resp.status()).toBe(200);
  return ((await resp.json()) as { items: WorkflowRow[] }).items;
}

it("sets up, logs in and manages workflows", async () => {
  try {
    await walkThrough();
  } catch (error) {
    await browser.screenshot("failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(browser.problems).toEqual([]);
});

async function walkThrough() {
  const { page, screenshot } = browser;

  // First run: any page leads to set-up.
  await page.goto("/workflows");
  await page.waitForURL("**/setup");
  await page.getByRole("heading", { name: "Set up your instance" }).waitFor();
  await screenshot("01-setup");
  await createOwner(page, OWNER.name, OWNER);
  await page.getByText("No workflows yet").waitFor();
  await screenshot("02-workflows-empty");

  // The session lives in an HttpOnly cookie; nothing sits in browser storage but the theme.
  const cookies = await browser.context.cookies();
  const session = cookies.find((c) => c.name === "wirework_session");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");
  const storage = await page.evaluate(() => ({
    local: Object.keys(localStorage).filter((k) => k !== "wirework-theme"),
    session: Object.keys(sessionStorage),
  }));
  expect(storage).toEqual({ local: [], session: [] });
  expect(await page.evaluate(() => document.cookie)).not.toContain("wirework_session");

  // Log out, then open a deep link: log-in first, then back there.
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await screenshot("03-login");
  await page.goto("/integrations");
  await page.waitForURL("**/login?next=%2Fintegrations");
  await page.getByLabel("E-mail").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Integrations" }).waitFor();
  expect(new URL(page.url()).pathname).toBe("/integrations");
  await screenshot("04-integrations");

  // Every page of the navigation, by keyboard-reachable links.
  for (const [label, file] of [
    ["Executions", "05-executions"],
    ["Integration types", "06-integration-types"],
    ["Settings", "07-settings"],
    ["Workflows", "08-workflows"],
  ] as const) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label }).click();
    await page.getByRole("heading", { name: label, level: 1 }).waitFor();
    await screenshot(file);
  }

  // Import the example through the file input.
  await page.getByRole("button", { name: "Import" }).first().click();
  await page.getByLabel("Import from a file (JSON or YAML)").setInputFiles(EXAMPLE);
  await page.getByRole("link", { name: EXAMPLE_NAME }).waitFor();
  await page.getByRole("status").filter({ hasText: `Imported “${EXAMPLE_NAME}”.` }).waitFor();
  await screenshot("09-workflows-imported");

  // Activate it.
  const toggle = page.getByRole("switch", { name: `Active: ${EXAMPLE_NAME}` });
  expect(await toggle.getAttribute("aria-checked")).toBe("false");
  await toggle.click();
  await page.getByRole("status").filter({ hasText: "is now active" }).waitFor();
  expect(await toggle.getAttribute("aria-checked")).toBe("true");
  const imported = (await workflows()).find((w) => w.name === EXAMPLE_NAME);
  expect(imported?.active).toBe(true);

  // Execute it and see the execution finish on the server.
  await page.getByRole("button", { name: `Execute ${EXAMPLE_NAME}` }).click();
  const run = page.getByRole("dialog", { name: `Execute “${EXAMPLE_NAME}”` });
  await run.getByLabel(/^Input/).fill('{"body": {"title": "Crash on save", "severity": "high"}}');
  await screenshot("10-execute-dialog");
  await run.getByRole("button", { name: "Run" }).click();
  await page.getByRole("status").filter({ hasText: `of “${EXAMPLE_NAME}”` }).waitFor();
  let executions = "";
  await waitFor("the execution to succeed", async () => {
    const resp = await page.request.get(`/api/executions?workflow_id=${imported?.id}`);
    executions = await resp.text();
    const body = JSON.parse(executions) as { items: { status: string }[] };
    return body.items.length === 1 && body.items[0]?.status === "success";
  }).catch((error: unknown) => {
    throw new Error(`${String(error)}: ${executions}`);
  });
  await screenshot("11-workflows-executed");

  // Export as YAML: a download named after the workflow.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: `Export ${EXAMPLE_NAME} as YAML` }).click(),
  ]);
  expect(download.suggestedFilename()).toBe("bug-report-intake.yaml");

  // Create one, then delete it after confirming.
  await page.getByLabel("New workflow").fill("Scratch");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("link", { name: "Scratch" }).waitFor();

  // Tag the example, then filter the list by that tag (kept in the address).
  await page.getByRole("button", { name: `Edit tags of ${EXAMPLE_NAME}` }).click();
  const tagDialog = page.getByRole("dialog", { name: `Tags of “${EXAMPLE_NAME}”` });
  await tagDialog.getByRole("combobox", { name: "Tags" }).fill("intake");
  await tagDialog.getByRole("combobox", { name: "Tags" }).press("Enter");
  await screenshot("12-tags-dialog");
  await tagDialog.getByRole("button", { name: "Save tags" }).click();
  await page.getByRole("status").filter({ hasText: `Saved the tags of “${EXAMPLE_NAME}”.` }).waitFor();
  await page.getByRole("list", { name: `Tags of ${EXAMPLE_NAME}` }).getByText("intake").waitFor();
  await page.getByLabel("Tag", { exact: true }).selectOption("intake");
  await page.waitForURL("**/workflows?tag=intake");
  await page.getByRole("link", { name: "Scratch" }).waitFor({ state: "detached" });
  await page.getByRole("link", { name: EXAMPLE_NAME }).waitFor();
  await screenshot("12-workflows-by-tag");
  await page.getByRole("button", { name: "Remove tag intake" }).click();
  await page.getByRole("link", { name: "Scratch" }).waitFor();

  await page.getByRole("button", { name: "Delete Scratch" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Delete workflow?" });
  await dialog.waitFor();
  await screenshot("12-delete-confirmation");
  await dialog.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("status").filter({ hasText: "Deleted “Scratch”." }).waitFor();
  expect(await page.getByRole("link", { name: "Scratch" }).count()).toBe(0);
  expect((await workflows()).map((w) => w.name)).toEqual([EXAMPLE_NAME]);

  // Dark theme, remembered across a reload.
  await page.getByRole("button", { name: "Switch to dark theme" }).click();
  await page.reload();
  await page.getByRole("link", { name: EXAMPLE_NAME }).waitFor();
  expect(await page.evaluate(() => document.documentElement.classList.contains("dark"))).toBe(true);
  await screenshot("13-workflows-dark");

  // A deep link the server falls back for: the editor, full screen, in the dark theme.
  await page.goto(`/workflows/${imported?.id}`);
  await page.locator(".react-flow__node").first().waitFor();
  expect(await page.getByRole("textbox", { name: "Workflow name" }).inputValue()).toBe(EXAMPLE_NAME);
  await screenshot("14-workflow-editor-dark");
}
