/**
 * Declarative HTTP types, OpenAPI import and OAuth2 Connect against a real server in a real
 * browser, with a local HTTP server started here (127.0.0.1, allowed through
 * WIREWORK_OUTBOUND_ALLOW) that is both the "vendor" API and a fake OAuth2 authorization
 * server:
 * - a custom type built in the form (base URL, API key header auth, an action's request with
 *   path, header and JMESPath mapping), a server 422 shown beside the path it is about, then a
 *   workflow step of that type run against the local API;
 * - an OpenAPI description pasted into the import dialog, the result shown and opened;
 * - Connect on an OAuth2 (authorization code) integration: the popup goes to the fake
 *   authorize endpoint, which sends it straight back with a code; the integration then shows
 *   as connected.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { createOwner } from "./helpers";
import { startServer, type RunningServer } from "./server";

const OWNER = { name: "Hal Http", email: "hal@example.com", password: "a long password 789" };
const API_KEY = "k-123-not-shown";

let server: RunningServer;
let browser: Browser;
let vendor: Server;
let vendorUrl = "";
const seen: { method: string; url: string; headers: IncomingMessage["headers"] }[] = [];
const challenges = new Map<string, string>();

function body(req: IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => ok(text));
  });
}

function json(res: ServerResponse, status: number, data: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(data));
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", vendorUrl);
  seen.push({ method: req.method ?? "", url: url.pathname + url.search, headers: req.headers });
  const item = /^\/items\/([^/]+)$/.exec(url.pathname);
  if (req.method === "GET" && item) {
    if (req.headers["x-api-key"] !== API_KEY) return json(res, 401, { message: "bad key" });
    return json(res, 200, { item: { id: item[1], title: `Widget ${item[1]}` }, meta: { source: "vendor" } });
  }
  if (req.method === "GET" && url.pathname === "/authorize") {
    // Consent is implied: straight back to the redirect URI with a code.
    const code = `code-${challenges.size + 1}`;
    challenges.set(code, url.searchParams.get("code_challenge") ?? "");
    const back = new URL(url.searchParams.get("redirect_uri") ?? "");
    back.searchParams.set("code", code);
    back.searchParams.set("state", url.searchParams.get("state") ?? "");
    res.writeHead(302, { location: back.toString() });
    return res.end();
  }
  if (req.method === "POST" && url.pathname === "/token") {
    const form = new URLSearchParams(await body(req));
    const challenge = challenges.get(form.get("code") ?? "");
    const digest = createHash("sha256").update(form.get("code_verifier") ?? "").digest("base64url");
    if (form.get("grant_type") !== "authorization_code" || !challenge || digest !== challenge) {
      return json(res, 400, { error: "invalid_grant", error_description: "PKCE failed" });
    }
    return json(res, 200, { access_token: "access-1", refresh_token: "refresh-1", token_type: "Bearer", expires_in: 3600 });
  }
  json(res, 404, { message: "not found" });
}

beforeAll(async () => {
  vendor = createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok) => vendor.listen(0, "127.0.0.1", ok));
  const address = vendor.address();
  vendorUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  server = await startServer({ WIREWORK_OUTBOUND_ALLOW: "127.0.0.1" });
  browser = await openBrowser(server.url);
  console.log(`screenshots: ${SCREENSHOTS}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((ok) => vendor?.close(ok));
});

/** The 422 provoked on purpose (and Chromium's console line for it). */
function unexpected(problems: string[]): string[] {
  return problems.filter(
    (p) =>
      !/^HTTP 422: POST .*\/api\/integration-types$/.test(p) &&
      !/^console error: Failed to load resource: the server responded with a status of 422/.test(p),
  );
}

async function api(method: "GET" | "POST", path: string, data?: unknown) {
  const csrf = (await browser.context.cookies()).find((c) => c.name === "wirework_csrf")?.value ?? "";
  const resp = await browser.page.request.fetch(path, {
    method,
    data: data === undefined ? undefined : (data as object),
    headers: { "X-CSRF-Token": csrf },
  });
  expect(resp.status(), `${method} ${path}: ${await resp.text()}`).toBeLessThan(300);
  return (await resp.json()) as Record<string, unknown>;
}

it("builds an HTTP type and runs it, imports OpenAPI, connects OAuth2", async () => {
  try {
    await setUp();
    await httpType();
    await openApiImport();
    await oauth2Connect();
    await darkMode();
  } catch (error) {
    await browser.screenshot("http-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(unexpected(browser.problems)).toEqual([]);
}, 180_000);

async function setUp() {
  const { page } = browser;
  await page.goto("/integration-types");
  await page.waitForURL("**/setup");
  await createOwner(page, OWNER.name, OWNER);
}

async function httpType() {
  const { page, screenshot } = browser;
  await page.goto("/integration-types");
  await page.getByRole("heading", { name: "Integration types", level: 1 }).waitFor();
  await page.getByRole("button", { name: "New type" }).click();
  const form = page.getByRole("form", { name: "New integration type" });
  await form.getByLabel("Display name").fill("Item API");

  const http = form.getByRole("group", { name: "HTTP" });
  await http.getByLabel("Actions send HTTP requests").check();
  await http.getByLabel("Base URL").fill(vendorUrl);
  await http.getByLabel("Auth scheme").selectOption("api_key_header");
  await http.getByLabel("Header name").fill("X-Api-Key");
  // The credential field the scheme names is missing: the form offers to add it.
  await http.getByRole("button", { name: "Add it" }).click();
  await form.getByRole("group", { name: "Credential fields" }).getByRole("group", { name: "Parameter 1 (api_key)" }).waitFor();

  await form.getByRole("button", { name: "Add action" }).click();
  const action = form.getByRole("group", { name: /^Action 1/ });
  await action.getByLabel("Action name").fill("get_item");
  await action.getByRole("button", { name: "Add parameter" }).click();
  const param = action.getByRole("group", { name: /^Parameter 1/ });
  await param.getByLabel("Name").fill("id");
  await param.getByLabel("Required").check();
  const request = action.getByRole("group", { name: "HTTP request of get_item" });
  await request.getByLabel("Method").selectOption("GET");
  // An expression that does not compile: the server's 422 shows beside the path.
  const path = request.getByRole("textbox", { name: "Path", exact: true });
  await path.fill("/items/{{ params.id ");
  await request.getByRole("button", { name: "Add header" }).click();
  await request.getByLabel("Name of header 1").fill("X-Trace");
  await request.getByLabel("Value of header 1").fill("wirework-{{ params.id }}");
  await request.getByLabel("Response mapping").selectOption("jmespath");
  await request.getByRole("textbox", { name: "JMESPath" }).fill("item");
  await form.getByRole("button", { name: "Create type" }).click();
  await form.getByRole("alert").filter({ hasText: "Could not save" }).waitFor();
  await expect.poll(() => path.getAttribute("aria-invalid")).toBe("true");
  const describedBy = (await path.getAttribute("aria-describedby")) ?? "";
  expect(await page.locator(`[id="${describedBy}"]`).textContent()).toBeTruthy();
  await screenshot("http-01-type-form-422");

  await path.fill("/items/{{ params.id }}");
  await form.getByRole("button", { name: "Create type" }).click();
  await page.getByRole("status").filter({ hasText: "Created “Item API” (key item_api)." }).waitFor();
  const card = page.getByRole("article", { name: "Item API" });
  await card.getByText("GET /items/{{ params.id }}").waitFor();
  await screenshot("http-02-type-card");

  // Editing shows what was saved.
  await card.getByRole("button", { name: "Edit Item API" }).click();
  const edit = page.getByRole("form", { name: "Edit “Item API”" });
  expect(await edit.getByLabel("Base URL").inputValue()).toBe(vendorUrl);
  expect(await edit.getByLabel("Header name").inputValue()).toBe("X-Api-Key");
  await expect.poll(() => edit.getByRole("textbox", { name: "Path", exact: true }).textContent()).toBe("/items/{{ params.id }}");
  await edit.getByRole("button", { name: "Cancel" }).click();

  // A workflow step of the new type, run against the local API.
  const integration = await api("POST", "/api/integrations", {
    name: "Items",
    type: "item_api",
    credentials: { api_key: API_KEY },
  });
  const workflow = await api("POST", "/api/workflows", {
    name: "Fetch an item",
    nodes: [
      { id: "start", type: "core.manual" },
      { id: "get", type: "item_api.get_item", integration_id: integration.id, params: { id: "42" } },
    ],
    connections: [{ from: "start", to: "get" }],
  });
  const run = await api("POST", `/api/workflows/${String(workflow.id)}/execute?wait=true`, {});
  expect(run.status, JSON.stringify(run.error)).toBe("success");
  expect(run.result).toEqual([{ id: "42", title: "Widget 42" }]);
  const call = seen.find((s) => s.url === "/items/42");
  expect(call?.headers["x-api-key"]).toBe(API_KEY);
  expect(call?.headers["x-trace"]).toBe("wirework-42");
}

const SPEC = {
  openapi: "3.0.3",
  info: { title: "Pet Store", version: "1" },
  servers: [{ url: "https://pets.example/v1" }],
  components: { securitySchemes: { key: { type: "apiKey", in: "header", name: "X-Key" } } },
  security: [{ key: [] }],
  paths: {
    "/pets": {
      get: { operationId: "listPets", parameters: [{ name: "limit", in: "query", schema: { type: "integer" } }] },
      post: { operationId: "createPet", requestBody: { content: { "application/json": { schema: { type: "object" } } } } },
    },
  },
};

async function openApiImport() {
  const { page, screenshot } = browser;
  await page.getByRole("button", { name: "Import OpenAPI" }).click();
  const dialog = page.getByRole("dialog", { name: "Import from OpenAPI 3" });
  await dialog.getByRole("tab", { name: "Paste JSON or YAML" }).click();
  await dialog.getByLabel("OpenAPI description (JSON or YAML)").fill(JSON.stringify(SPEC, null, 2));
  await screenshot("http-03-import-dialog");
  await dialog.getByRole("button", { name: "Import", exact: true }).click();
  const result = dialog.getByRole("status");
  await result.filter({ hasText: "Imported “Pet Store”" }).waitFor();
  await result.getByText("pet_store.list_pets — GET /pets").waitFor();
  expect(await result.locator("dd").nth(1).textContent()).toBe("2");
  await result.getByText("No warnings").waitFor();
  await screenshot("http-04-import-result");
  await dialog.getByRole("button", { name: "Open “Pet Store”" }).click();
  const edit = page.getByRole("form", { name: "Edit “Pet Store”" });
  expect(await edit.getByLabel("Base URL").inputValue()).toBe("https://pets.example/v1");
  expect(await edit.getByLabel("Header name").inputValue()).toBe("X-Key");
  await edit.getByRole("group", { name: "HTTP request of create_pet" }).waitFor();
  await edit.getByRole("button", { name: "Cancel" }).click();

  // The same description as a YAML file upload, under another key.
  await page.getByRole("button", { name: "Import OpenAPI" }).click();
  const again = page.getByRole("dialog", { name: "Import from OpenAPI 3" });
  await again.getByRole("tab", { name: "Upload a file" }).click();
  const yaml = `openapi: 3.0.3\ninfo:\n  title: Pets from a file\nservers:\n  - url: https://pets.example/v2\npaths:\n  /pets:\n    get:\n      operationId: listPets\n`;
  await again.getByLabel("OpenAPI file (JSON or YAML)").setInputFiles({ name: "pets.yaml", mimeType: "application/yaml", buffer: Buffer.from(yaml) });
  await again.getByText("Options: key, name, base URL").click();
  await again.getByLabel("Key (optional)").fill("pets_file");
  await again.getByRole("button", { name: "Import", exact: true }).click();
  await again.getByRole("status").filter({ hasText: "Imported “Pets from a file”" }).waitFor();
  await again.getByText("pets_file.list_pets — GET /pets").waitFor();
  await again.getByRole("button", { name: "Close", exact: true }).last().click();
  await page.getByRole("article", { name: "Pets from a file" }).waitFor();
}

async function oauth2Connect() {
  const { page, context, screenshot } = browser;
  await api("POST", "/api/integration-types", {
    name: "Calendar API",
    key: "calendar_api",
    parameters: [
      { name: "grant", type: "select", options: ["client_credentials", "authorization_code"], default: "authorization_code" },
      { name: "client_id", type: "string", required: true },
      { name: "client_secret", type: "password" },
      { name: "token_url", type: "string", required: true },
      { name: "authorize_url", type: "string" },
      { name: "scope", type: "string" },
    ],
    http: { base_url: vendorUrl, auth: { kind: "oauth2" } },
    actions: [],
  });
  await api("POST", "/api/integrations", {
    name: "My calendar",
    type: "calendar_api",
    credentials: {
      grant: "authorization_code",
      client_id: "cid",
      client_secret: "csecret",
      token_url: `${vendorUrl}/token`,
      authorize_url: `${vendorUrl}/authorize`,
    },
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integrations", exact: true }).click();
  const row = page.getByRole("row").filter({ hasText: "My calendar" });
  await row.getByText("Not connected").waitFor();
  // The API-key integration has no Connect button.
  expect(await page.getByRole("row").filter({ hasText: "Items" }).getByRole("button", { name: /Connect/ }).count()).toBe(0);
  await screenshot("http-05-not-connected");

  const popup = context.waitForEvent("page");
  await row.getByRole("button", { name: "Connect My calendar" }).click();
  const opened = await popup;
  await opened.waitForEvent("close", { timeout: 30_000 });
  await page.getByRole("status").filter({ hasText: "Connected “My calendar”." }).waitFor();
  await row.getByText("Connected", { exact: true }).waitFor();
  await row.getByText(/token expires/).waitFor();
  await row.getByRole("button", { name: "Reconnect My calendar" }).waitFor();
  await screenshot("http-06-connected");
  const saved = await api("GET", "/api/integrations");
  const calendar = (saved as unknown as { name: string; credentials: Record<string, unknown> }[]).find((i) => i.name === "My calendar");
  expect(calendar?.credentials.access_token).toBe("********");
  expect(await page.content()).not.toContain("access-1");
}

/** The new screens in the dark theme (each screenshot is also an axe check: contrast too). */
async function darkMode() {
  const { page, screenshot } = browser;
  await page.emulateMedia({ colorScheme: "dark" });
  await page.reload();
  await page.getByRole("row").filter({ hasText: "My calendar" }).getByText("Connected", { exact: true }).waitFor();
  expect(await page.evaluate(() => document.documentElement.classList.contains("dark"))).toBe(true);
  await screenshot("http-07-integrations-dark");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Integration types" }).click();
  await page.getByRole("article", { name: "Item API" }).getByRole("button", { name: "Edit Item API" }).click();
  await page.getByRole("form", { name: "Edit “Item API”" }).getByRole("group", { name: "HTTP request of get_item" }).waitFor();
  await screenshot("http-08-type-form-dark");
  await page.getByRole("button", { name: "Import OpenAPI" }).click();
  await page.getByRole("dialog", { name: "Import from OpenAPI 3" }).waitFor();
  await screenshot("http-09-import-dialog-dark");
  await page.keyboard.press("Escape");
  await page.emulateMedia({ colorScheme: "light" });
}
