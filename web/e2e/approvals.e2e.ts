/**
 * An AI agent's tool call approved on the Approvals page, against a real server in a real
 * browser, with a local OpenAI-compatible chat server started here (127.0.0.1, allowed through
 * WIREWORK_OUTBOUND_ALLOW) that first asks for the tool, then answers once it has its result:
 * the execution parks, the page lists the call with its arguments, Approve runs the tool and
 * the agent finishes. Screenshots land in web/test-results/screenshots (approvals-*).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { createOwner } from "./helpers";
import { startServer, waitFor, type RunningServer } from "./server";

const OWNER = { name: "Ann Approver", email: "ann@example.com", password: "a long password 321" };
const API_KEY = "sk-e2e-not-sent-to-models";

let server: RunningServer;
let browser: Browser;
let models: Server;
let modelsUrl = "";
const requests: { messages: { role: string; content: string | null }[]; tools?: unknown[] }[] = [];

function body(req: IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => ok(text));
  });
}

function completion(message: Record<string, unknown>, finish: string) {
  return {
    id: `chatcmpl-${requests.length}`,
    object: "chat.completion",
    created: 0,
    model: "gpt-e2e",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
    res.writeHead(404, { "content-type": "application/json" });
    return res.end(JSON.stringify({ error: { message: "not found" } }));
  }
  const request = JSON.parse(await body(req));
  requests.push(request);
  const toolResult = request.messages.some((m: { role: string }) => m.role === "tool");
  const answer = toolResult
    ? completion({ content: "Noted." }, "stop")
    : completion(
        {
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "note", arguments: '{"note":"ship it"}' } }],
        },
        "tool_calls",
      );
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(answer));
}

beforeAll(async () => {
  models = createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok) => models.listen(0, "127.0.0.1", ok));
  const address = models.address();
  modelsUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  server = await startServer({ WIREWORK_OUTBOUND_ALLOW: "127.0.0.1" });
  browser = await openBrowser(server.url);
  console.log(`screenshots: ${SCREENSHOTS}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((ok) => models?.close(ok));
});

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

it("approves an agent's tool call on the Approvals page", async () => {
  try {
    await setUp();
    await approve();
  } catch (error) {
    await browser.screenshot("approvals-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(browser.problems).toEqual([]);
}, 180_000);

async function setUp() {
  const { page } = browser;
  await page.goto("/approvals");
  await page.waitForURL("**/setup");
  await createOwner(page, OWNER.name, OWNER);
}

async function approve() {
  const { page, screenshot } = browser;
  const integration = await api("POST", "/api/integrations", {
    name: "Models",
    type: "openai",
    credentials: { api_key: API_KEY, base_url: `${modelsUrl}/v1` },
  });
  const tool = {
    kind: "code",
    name: "note",
    code: "return [{'noted': items[0]['note']}]",
    parameters: { type: "object", properties: { note: { type: "string" } }, required: ["note"] },
    requires_approval: true,
  };
  const workflow = await api("POST", "/api/workflows", {
    name: "Agent with approval",
    nodes: [
      { id: "start", type: "core.manual" },
      {
        id: "agent",
        type: "ai.agent",
        params: { integration_id: integration.id, model: "gpt-e2e", prompt: "Take a note", tools: [tool] },
      },
    ],
    connections: [{ from: "start", to: "agent" }],
  });
  const run = await api("POST", `/api/workflows/${workflow.id}/execute?wait=true`, {});
  expect(run.status).toBe("waiting");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Approvals" }).click();
  await page.getByRole("heading", { name: "Approvals", level: 1 }).waitFor();
  const card = page.getByRole("article", { name: `note in execution ${String(run.id)}` });
  await card.waitFor();
  expect(await card.getByLabel("Arguments").textContent()).toContain('"note": "ship it"');
  await screenshot("approvals-pending");
  await card.getByLabel("Reason (optional)").fill("fine by me");
  await card.getByRole("button", { name: "Approve" }).click();
  await page.getByText("Nothing waits for an approval.").waitFor();

  let record: Record<string, unknown> = {};
  await waitFor("the execution to finish", async () => {
    record = await api("GET", `/api/executions/${String(run.id)}`);
    return record.status === "success";
  });
  const result = (record.result as { text: string }[])[0];
  expect(result?.text).toBe("Noted.");
  const last = requests.at(-1)!;
  const toolMessage = last.messages.find((m) => m.role === "tool");
  expect(toolMessage?.content).toContain('"noted": "ship it"');
  expect(JSON.stringify(requests)).not.toContain(API_KEY);

  await page.goto(`/executions/${String(run.id)}`);
  const steps = page.getByRole("table", { name: "Steps" });
  await steps.getByRole("rowheader", { name: /tool:note#1/ }).waitFor();
  await screenshot("approvals-execution");
}
