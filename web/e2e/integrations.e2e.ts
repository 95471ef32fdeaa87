/**
 * The Integration types and Integrations pages against a real server in a real browser:
 * a custom type built with the parameter builder (and edited), an integration created from
 * the form generated from it, its secret never shown and kept on edit, allowed hosts, a
 * connection test, activate/deactivate, and deletes refused while in use (409) then done.
 * Any console error, page error, failed request or HTTP error fails the run, except the two
 * 409s this test provokes on purpose. Screenshots land in web/test-results/screenshots.
 */
import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { createOwner } from "./helpers";
import { startServer, type RunningServer } from "./server";

const OWNER = { name: "Ida Integrator", email: "ida@example.com", password: "a long password 456" };
const SECRET = "s3cret-token-that-must-not-show";

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

/** The 409s provoked on purpose (and Chromium's console line for each). */
function unexpected(problems: string[]): string[] {
  return problems.filter(
    (p) =>
      !/^HTTP 409: DELETE .*\/api\/(integrations|integration-types)\/\d+$/.test(p) &&
      !/^console error: Failed to load resource: the server responded with a status of 409/.test(p),
  );
}

it("builds an integration type and manages integrations of it", async () => {
  try {
    await walkThrough();
  } catch (error) {
    await browser.screenshot("integrations-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(unexpected(browser.problems)).toEqual([]);
  expect(browser.problems.filter((p) => p.startsWith("HTTP 409"))).toHaveLength(2);
});

async function api(method: "GET" | "POST" | "DELETE", path: string, data?: unknown) {
  const csrf = (await browser.context.cookies()).find((c) => c.name === "wirework_csrf")?.value ?? "";
  const resp = await browser.page.request.fetch(path, {
    method,
    data: data === undefined ? undefined : (data as object),
    headers: { "X-CSRF-Token": csrf },
  });
  expect(resp.status(), `${method} ${path}: ${await resp.text()}`).toBeLessThan(300);
  return resp.status() === 204 ? null : ((await resp.json()) as Record<string, unknown>);
}

async function walkThrough() {
  const { page, screenshot } = browser;

  await page.goto("/integration-types");
  await page.waitForURL("**/setup");
  await createOwner(page, OWNER.name, OWNER);

  // Integration types: the built-in ones, then a custom type from the parameter builder.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integration types" }).click();
  await page.getByRole("heading", { name: "Integration types", level: 1 }).waitFor();
  await page.getByText("Jira", { exact: true }).first().waitFor();
  await screenshot("it-01-integration-types-built-in");

  await page.getByRole("button", { name: "New type" }).click();
  const form = page.getByRole("form", { name: "New integration type" });
  await form.getByLabel("Display name").fill("Acme API");
  await form.getByLabel("Description").fill("The Acme REST API");
  const fields = form.getByRole("group", { name: "Credential fields" });
  // By keyboard: the add button is reachable and works with Enter.
  await fields.getByRole("button", { name: "Add parameter" }).focus();
  for (let i = 0; i < 4; i += 1) await page.keyboard.press("Enter");
  const row = (n: number) => fields.getByRole("group", { name: new RegExp(`^Parameter ${n}\\b`) });
  await row(1).getByLabel("Name").fill("token");
  await row(1).getByLabel("Type").selectOption("password");
  await row(1).getByLabel("Required").check();
  await row(2).getByLabel("Name").fill("base_url");
  await row(2).getByLabel("Required").check();
  await row(2).getByLabel("Description").fill("Where the API lives");
  await row(3).getByLabel("Name").fill("region");
  await row(3).getByLabel("Type").selectOption("select");
  await row(3).getByLabel("Options (comma-separated)").fill("eu, us");
  await row(3).getByLabel("Default").fill("eu");
  await row(4).getByLabel("Name").fill("verify_tls");
  await row(4).getByLabel("Type").selectOption("boolean");
  await row(4).getByLabel("Default").selectOption("true");
  await fields.getByRole("button", { name: "Move Parameter 2 (base_url) up" }).click();
  await form.getByRole("button", { name: "Add action" }).click();
  const action = form.getByRole("group", { name: /^Action 1/ });
  await action.getByLabel("Action name").fill("ping");
  await action.getByLabel("Action display name").fill("Ping");
  await action.getByRole("button", { name: "Add parameter" }).click();
  await action.getByRole("group", { name: /^Parameter 1/ }).getByLabel("Name").fill("message");
  await screenshot("it-02-integration-type-builder");
  await form.getByRole("button", { name: "Create type" }).click();
  await page.getByRole("status").filter({ hasText: "Created “Acme API” (key acme_api)." }).waitFor();
  const card = page.getByRole("article", { name: "Acme API" });
  await card.getByText("acme_api.ping").waitFor();
  const types = (await api("GET", "/api/integration-types")) as unknown as { key: string; parameters: { name: string }[] }[];
  const created = types.find((t) => t.key === "acme_api");
  expect(created).toBeDefined();
  expect(created?.parameters.map((p) => p.name)).toEqual(["base_url", "token", "region", "verify_tls"]);

  // Edit it: one more field, moved to the top.
  await card.getByRole("button", { name: "Edit Acme API" }).click();
  const edit = page.getByRole("form", { name: "Edit “Acme API”" });
  await edit.getByRole("group", { name: "Credential fields" }).getByRole("button", { name: "Add parameter" }).click();
  const added = edit.getByRole("group", { name: /^Parameter 5/ });
  await added.getByLabel("Name").fill("timeout_s");
  await added.getByLabel("Type").selectOption("number");
  await added.getByLabel("Default").fill("30");
  for (let i = 5; i > 1; i -= 1) {
    await edit.getByRole("button", { name: `Move Parameter ${i} (timeout_s) up` }).click();
  }
  await edit.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").filter({ hasText: "Saved “Acme API”" }).waitFor();
  await card.getByRole("cell", { name: "timeout_s" }).waitFor();
  await screenshot("it-03-integration-types");

  // Integrations: create one from the generated form.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations", exact: true }).click();
  await page.getByRole("heading", { name: "Integrations", level: 1 }).waitFor();
  await page.getByText("No integrations yet.").waitFor();
  await page.getByRole("button", { name: "New integration" }).click();
  const create = page.getByRole("form", { name: "New integration" });
  await create.getByLabel("Name", { exact: true }).fill("Acme prod");
  await create.getByLabel("Type").selectOption({ label: "Acme API (acme_api)" });
  expect(await create.getByLabel("timeout_s").inputValue()).toBe("30");
  expect(await create.getByLabel("token (required)").getAttribute("type")).toBe("password");
  await create.getByLabel("base_url (required)").fill("https://acme.example");
  await create.getByLabel("token (required)").fill(SECRET);
  await create.getByLabel("region").selectOption("us");
  await create.getByLabel("Only these hosts").check();
  await create.getByLabel("Hosts, one a line").fill("acme.example\n*.cdn.acme.example");
  // Test before saving: this type has no tester, which the answer says.
  await create.getByRole("button", { name: "Test connection" }).click();
  await create.getByRole("status", { name: "Connection test result" }).filter({ hasText: "Not testable" }).waitFor();
  await screenshot("it-04-integration-form");
  await create.getByRole("button", { name: "Create integration" }).click();
  await page.getByRole("status").filter({ hasText: "Created “Acme prod”." }).waitFor();
  const listRow = page.getByRole("row").filter({ hasText: "Acme prod" });
  await listRow.getByText("hosts: acme.example, *.cdn.acme.example").waitFor();
  const saved = await api("GET", "/api/integrations/1");
  expect(saved?.credentials).toEqual({
    base_url: "https://acme.example",
    token: "********",
    region: "us",
    verify_tls: true,
    timeout_s: 30,
  });

  // Test from the list: the result stays in the row.
  await listRow.getByRole("button", { name: "Test connection of Acme prod" }).click();
  await listRow.getByText(/Not testable at/).waitFor();

  // Edit: the secret is not in the page; left blank, it is kept.
  await listRow.getByRole("button", { name: "Edit Acme prod" }).click();
  const edit2 = page.getByRole("form", { name: "Edit “Acme prod”" });
  expect(await edit2.getByLabel("token (required)").inputValue()).toBe("");
  expect(await page.content()).not.toContain(SECRET);
  expect(await page.content()).not.toContain("********");
  await edit2.getByLabel("base_url (required)").fill("https://eu.acme.example");
  await edit2.getByLabel("Hosts, one a line").fill("eu.acme.example");
  await edit2.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").filter({ hasText: "Saved “Acme prod”." }).waitFor();
  const edited = await api("GET", "/api/integrations/1");
  expect(edited?.credentials).toMatchObject({ base_url: "https://eu.acme.example", token: "********" });
  expect(edited?.allowed_hosts).toEqual(["eu.acme.example"]);

  // Deactivate, then activate again.
  const toggle = listRow.getByRole("switch", { name: "Active: Acme prod" });
  await toggle.click();
  await page.getByRole("status").filter({ hasText: "“Acme prod” is now inactive." }).waitFor();
  expect((await api("GET", "/api/integrations/1"))?.active).toBe(false);
  await toggle.click();
  await page.getByRole("status").filter({ hasText: "“Acme prod” is now active." }).waitFor();
  await screenshot("it-05-integrations");

  // In use by a workflow: the delete is refused, naming it.
  const workflow = await api("POST", "/api/workflows", {
    name: "Uses Acme",
    nodes: [
      { id: "start", type: "core.manual" },
      { id: "ping", type: "acme_api.ping", integration_id: 1, params: { message: "hi" } },
    ],
    connections: [{ from: "start", to: "ping" }],
  });
  await listRow.getByRole("button", { name: "Delete Acme prod" }).click();
  await page.getByRole("alertdialog", { name: "Delete integration?" }).getByRole("button", { name: "Delete" }).click();
  await page.getByRole("alert").filter({ hasText: "is used by workflow(s) 1 ('Uses Acme')" }).waitFor();
  await page.getByRole("link", { name: "Uses Acme" }).waitFor();
  await screenshot("it-06-integration-in-use");

  // The type is in use by the integration: refused too.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integration types" }).click();
  await card.getByRole("button", { name: "Delete Acme API" }).click();
  await page.getByRole("alertdialog", { name: "Delete integration type?" }).getByRole("button", { name: "Delete" }).click();
  await page.getByRole("alert").filter({ hasText: "is used by 1 integration(s)" }).waitFor();

  // Dark theme of both pages.
  await page.getByRole("button", { name: "Switch to dark theme" }).click();
  await screenshot("it-07-integration-types-dark");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations", exact: true }).click();
  await listRow.getByText(/Not testable at/).waitFor(); // remembered for this browser session
  await screenshot("it-08-integrations-dark");

  // Once the workflow is gone, both deletes go through.
  await api("DELETE", `/api/workflows/${String(workflow?.id)}`);
  await listRow.getByRole("button", { name: "Delete Acme prod" }).click();
  await page.getByRole("alertdialog", { name: "Delete integration?" }).getByRole("button", { name: "Delete" }).click();
  await page.getByRole("status").filter({ hasText: "Deleted “Acme prod”." }).waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integration types" }).click();
  await card.getByRole("button", { name: "Delete Acme API" }).click();
  await page.getByRole("alertdialog", { name: "Delete integration type?" }).getByRole("button", { name: "Delete" }).click();
  await page.getByRole("status").filter({ hasText: "Deleted “Acme API”." }).waitFor();
  const left = (await api("GET", "/api/integration-types")) as unknown as { key: string }[];
  expect(left.map((t) => t.key)).not.toContain("acme_api");
}
