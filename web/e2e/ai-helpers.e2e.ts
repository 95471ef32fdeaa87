/**
 * "Explain this error" and "Write with AI" against a real server in a real browser, the model
 * being a local server started here that speaks OpenAI's chat completions (127.0.0.1, allowed
 * through WIREWORK_OUTBOUND_ALLOW) and answers from a script. One workflow — manual → code →
 * filter → an HTTP request authenticated by an integration to a closed local port — is run in
 * the editor and fails:
 * - the failed step's "Explain this error" in the node panel shows the scripted explanation;
 *   the model got the step's error and node type, and no credential (the assistant's API key,
 *   the token of the integration the step uses); on the execution page, a model that fails is
 *   said in words, not shown as a blank panel;
 * - "Write with AI" on the filter's condition (an expression): a refused answer is shown as
 *   the server words it, then the suggestion (the current condition changed) is used, shown
 *   in the field and saved;
 * - "Write with AI" on the code step: the suggestion replaces the code editor's content and is
 *   saved.
 * One server and one browser for the file. Any console error, failed request or HTTP error
 * fails the run, except the 502 and 422 provoked on purpose.
 */
import { createServer, type Server } from "node:http";

import { afterAll, beforeAll, expect, it } from "vitest";

import { openBrowser, type Browser } from "./browser";
import { canvasNode, closeNodePanel, createOwner, openNode, portOf, readBody, savedAs, send as sendAs } from "./helpers";
import { startServer, waitFor, type RunningServer } from "./server";

const OWNER = { email: "ivy@example.com", password: "helpers password 1" };
// Random-looking: the vault redacts every secret it knows, so common words would be masked.
const API_KEY = "sk-e2e-Hn4Wq8Zr2Tc";
const ORDERS_TOKEN = "tok-e2e-Jm7Xb3Kd9Pf";
const CLOSED = "http://127.0.0.1:1";

const CODE = 'return [{"email": "Ada@Example.COM", "total": 120}, {"email": "bo@example.com", "total": 40}]';
const CONDITION = "{{ json.total > 100 }}";
const NEW_CODE = 'return [{**item, "email": item["email"].lower()} for item in items]';

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
}

let server: RunningServer;
let browser: Browser;
let model: Server;
/** What the model answers next (the message content), in order; a call with none left fails. */
const script: string[] = [];
const bodies: string[] = [];
let workflowId = 0;

function answer(value: unknown) {
  script.push(JSON.stringify(value));
}

beforeAll(async () => {
  model = createServer((req, res) => {
    void readBody(req).then((text) => {
      bodies.push(text);
      const content = script.shift();
      if (content === undefined) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "the test scripted no answer", type: "server_error" } }));
        return;
      }
      const completion = {
        id: `chatcmpl-e2e-${bodies.length}`,
        object: "chat.completion",
        created: 0,
        model: "gpt-4o",
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 400, completion_tokens: 40, total_tokens: 440 },
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(completion));
    });
  });
  await new Promise<void>((ok) => model.listen(0, "127.0.0.1", ok));
  server = await startServer({ WIREWORK_OUTBOUND_ALLOW: "127.0.0.1" });
  browser = await openBrowser(server.url);
  await setUp();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((ok) => model?.close(ok));
});

function send<T>(method: "post" | "put", path: string, data: unknown): Promise<T> {
  return sendAs<T>(browser, method, path, data);
}

interface SavedNode {
  id: string;
  params: Record<string, unknown>;
}

async function savedNodes(): Promise<Map<string, SavedNode>> {
  const resp = await browser.page.request.get(`/api/workflows/${workflowId}`);
  expect(resp.status()).toBe(200);
  const doc = (await resp.json()) as { nodes: SavedNode[] };
  return new Map(doc.nodes.map((n) => [n.id, n]));
}

/** The owner, the assistant's model (an openai integration on the local model server), an
 * "Orders API" integration with a token, and the workflow, all through the API. */
async function setUp() {
  const { page } = browser;
  await page.goto("/setup");
  await createOwner(page, "Ivy", OWNER);

  const port = portOf(model);
  const assistant = await send<{ id: number }>("post", "/api/integrations", {
    name: "Local model",
    type: "openai",
    credentials: { base_url: `http://127.0.0.1:${port}/v1`, api_key: API_KEY, max_retries: 0 },
  });
  await send("put", "/api/ai/assistant", { integration_id: assistant.id, model: "gpt-4o" });
  await send("post", "/api/integration-types", {
    name: "Orders API",
    key: "orders_api",
    parameters: [
      { name: "base_url", type: "string", required: true },
      { name: "token", type: "password", required: true },
    ],
    actions: [],
  });
  const orders = await send<{ id: number }>("post", "/api/integrations", {
    name: "Orders",
    type: "orders_api",
    credentials: { base_url: CLOSED, token: ORDERS_TOKEN },
  });
  const flow = await send<{ id: number }>("post", "/api/workflows", {
    name: "Big orders",
    nodes: [
      { id: "start", type: "core.manual" },
      { id: "shape", name: "Shape", type: "core.code", params: { code: CODE } },
      { id: "big", name: "Big ones", type: "core.filter", params: { condition: "{{ json.total > 0 }}" } },
      {
        id: "notify",
        name: "Notify",
        type: "core.http_request",
        params: { method: "POST", url: "/orders", integration_id: orders.id, body: { email: "{{ json.email }}" } },
      },
    ],
    connections: [
      { from: "start", to: "shape" },
      { from: "shape", to: "big" },
      { from: "big", to: "notify" },
    ],
  });
  workflowId = flow.id;
}

/** The HTTP error provoked on purpose (and Chromium's console line for it). */
function provoked(status: number, path: string) {
  return (p: string) => p.includes(String(status)) && (p.includes(path) || p.includes("Failed to load resource"));
}

async function focused(): Promise<string | null> {
  return browser.page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? null);
}

const node = (id: string) => canvasNode(browser.page, id);

async function save(version: number) {
  await browser.page.getByRole("button", { name: "Save", exact: true }).click();
  await savedAs(browser.page, version);
}

/** Run a step of the walk; on failure, a screenshot and what the browser and server said. */
async function step(name: string, body: () => Promise<void>, expected: (problem: string) => boolean = () => false) {
  try {
    await body();
  } catch (error) {
    await browser.screenshot(`ai-helpers-${name}-failure`).catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  const unexpected = browser.problems.filter((p) => !expected(p));
  browser.problems.length = 0;
  expect(unexpected).toEqual([]);
}

it("explains the error of a failed step without showing the model a credential", async () => {
  await step("explain", async () => {
    const { page } = browser;
    await page.goto(`/workflows/${workflowId}`);
    await node("notify").waitFor();
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Run failed" }).waitFor();
    await node("notify").locator('[data-status="error"]').waitFor();

    const executions = (await (await page.request.get(`/api/workflows/${workflowId}/executions`)).json()) as { items: { id: string }[] };
    const executionId = executions.items[0]!.id;
    const record = (await (await page.request.get(`/api/executions/${executionId}`)).json()) as {
      steps: { node_id: string; error: { message: string } | null }[];
    };
    const failure = record.steps.find((s) => s.node_id === "notify")?.error?.message ?? "";
    expect(failure).toContain("127.0.0.1:1/orders");

    const panel = await openNode(browser.page, "notify", "Notify");
    await panel.getByRole("tab", { name: "Data" }).click();
    const alert = panel.getByRole("alert").filter({ hasText: "This node failed" });
    await alert.getByText(failure, { exact: false }).waitFor();
    answer({
      explanation: "Nothing listens on 127.0.0.1 port 1, so the request could not connect.",
      suggestions: ["Check the Orders integration's base URL", "Start the orders service"],
    });
    await alert.getByRole("button", { name: "Explain this error of notify" }).click();
    const explanation = panel.getByRole("region", { name: "Explanation of the error of notify" });
    await explanation.getByText("Nothing listens on 127.0.0.1 port 1").waitFor();
    await explanation.getByRole("listitem").filter({ hasText: "Check the Orders integration's base URL" }).waitFor();
    await browser.screenshot("ai-helpers-explained");

    expect(bodies).toHaveLength(1);
    const sent = JSON.parse(bodies[0]!) as ChatBody;
    const prompt = sent.messages.map((m) => m.content).join("\n");
    expect(prompt).toContain(failure);
    expect(prompt).toContain("core.http_request");
    expect(bodies[0]).not.toContain(API_KEY);
    expect(bodies[0]).not.toContain(ORDERS_TOKEN);
    await closeNodePanel(browser.page);
  });
});

it("writes the filter's condition with AI: a refused answer is said, the used one saved", async () => {
  await step(
    "expression",
    async () => {
      const { page } = browser;
      const panel = await openNode(browser.page, "big", "Big ones");
      const field = panel.locator('[data-field="params.condition"]');
      await field.getByRole("button", { name: "Write Condition with AI" }).click();
      const writer = panel.getByRole("group", { name: "Write condition with AI" });
      const instruction = writer.getByLabel("What should the expression give?");

      // Twice not an expression: refused, and the dialog says why.
      answer({ text: "total over 100" });
      answer({ text: "json.total > 100" });
      await instruction.fill("Keep the orders over 100");
      await writer.getByRole("button", { name: "Write", exact: true }).click();
      await writer.getByRole("alert").getByText(/no valid expression after 2 attempt/).waitFor();

      answer({ text: CONDITION });
      await writer.getByRole("button", { name: "Write", exact: true }).click();
      await writer.getByLabel("Suggested text").filter({ hasText: CONDITION }).waitFor();
      expect(await writer.getByRole("alert").count()).toBe(0);
      await browser.screenshot("ai-helpers-expression-suggested");
      await writer.getByRole("button", { name: "Use it" }).click();
      await writer.waitFor({ state: "detached" });
      expect(await focused()).toBe("Write Condition with AI");
      await waitFor("the condition to show the suggestion", async () => (await field.locator(".cm-content").textContent()) === CONDITION);
      await page.getByRole("status").filter({ hasText: "Unsaved changes" }).waitFor();
      await closeNodePanel(browser.page);
      await save(2);
      expect((await savedNodes()).get("big")?.params).toEqual({ condition: CONDITION });

      const sent = JSON.parse(bodies.at(-1)!) as ChatBody;
      const prompt = sent.messages.map((m) => m.content).join("\n");
      expect(prompt).toContain("Keep the orders over 100");
      expect(prompt).toContain("core.filter");
      // The item the condition sees, from the run (the code step's first order), and the
      // condition to change.
      expect(prompt).toContain("Ada@Example.COM");
      expect(prompt).toContain("Current expression (change it as the instruction says");
      expect(prompt).toContain("{{ json.total > 0 }}");
    },
    provoked(422, "/api/ai/write"),
  );
});

it("writes the code step with AI: the code editor takes the suggestion, the save keeps it", async () => {
  await step("code", async () => {
    const panel = await openNode(browser.page, "shape", "Shape");
    const field = panel.locator('[data-field="params.code"]');
    await field.getByRole("button", { name: "Write Code with AI" }).click();
    const writer = panel.getByRole("group", { name: "Write code with AI" });
    answer({ text: NEW_CODE });
    await writer.getByText("The current code goes along").waitFor();
    await writer.getByLabel("What should the code do?").fill("Lower-case every email");
    await writer.getByLabel("What should the code do?").press("Enter");
    await writer.getByLabel("Suggested text").filter({ hasText: NEW_CODE }).waitFor();
    await writer.getByRole("button", { name: "Use it" }).click();
    await writer.waitFor({ state: "detached" });
    expect(await focused()).toBe("Write Code with AI");
    const editor = panel.getByRole("textbox", { name: "Code (required)" });
    await waitFor("the code editor to show the suggestion", async () => (await editor.textContent()) === NEW_CODE);
    await browser.screenshot("ai-helpers-code-used");
    await closeNodePanel(browser.page);
    await save(3);
    const saved = (await savedNodes()).get("shape");
    expect(saved?.params.code).toBe(NEW_CODE);

    const sent = JSON.parse(bodies.at(-1)!) as ChatBody;
    const prompt = sent.messages.map((m) => m.content).join("\n");
    expect(prompt).toContain("Lower-case every email");
    expect(prompt).toContain("Mode: once");
    expect(prompt).toContain(CODE);
    for (const body of bodies) {
      expect(body).not.toContain(API_KEY);
      expect(body).not.toContain(ORDERS_TOKEN);
    }
  });
});

it("says why there is no explanation when the model fails, on the execution page", async () => {
  await step(
    "explain-failure",
    async () => {
      const { page } = browser;
      await page.getByRole("link", { name: "Execution details" }).click();
      await page.getByRole("heading", { name: /^Execution / }).waitFor();
      const steps = page.getByRole("table", { name: "Steps" });
      // Nothing scripted: the model answers 500, the server says so (502).
      await steps.getByRole("button", { name: "Explain this error of notify" }).click();
      const alert = steps.getByRole("alert");
      await alert.getByText(/^No explanation: the model provider failed: .*the test scripted no answer/).waitFor();
      expect(await steps.getByRole("region", { name: "Explanation of the error of notify" }).count()).toBe(0);
      await browser.screenshot("ai-helpers-explain-failed");
      for (const body of bodies) {
        expect(body).not.toContain(API_KEY);
        expect(body).not.toContain(ORDERS_TOKEN);
      }
    },
    provoked(502, "/api/ai/explain-error"),
  );
});
