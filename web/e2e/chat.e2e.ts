/**
 * The chat trigger in a real browser against a real server, with a local OpenAI-compatible
 * model server started here (127.0.0.1, allowed through WIREWORK_OUTBOUND_ALLOW) that
 * streams its answer a few characters at a time, slowly:
 * - the hosted page /chat/<id> of a public chat, signed out: the welcome message, a question,
 *   the answer growing token by token (seen while it still streams), then whole;
 * - the widget: a page on another origin (one of the chat's allowed_origins) with
 *   <script src=".../chat/widget.js" data-workflow="<id>">; its bubble opens the chat in a
 *   frame, which answers too.
 * Any console error, failed request or HTTP error fails the run.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { startServer, type RunningServer } from "./server";

const OWNER = { name: "Cass Chat", email: "cass@example.com", password: "a chat password 123" };
const ANSWER = "Wirework runs your workflows, step by step, and answers in chats too.";

let server: RunningServer;
let browser: Browser;
let models: Server;
let modelsUrl = "";
let workflowId = 0;
const prompts: string[] = [];

function body(req: IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => ok(text));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The model server (chat completions, streamed) and the page that embeds the widget. */
async function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", modelsUrl);
  if (req.method === "GET" && url.pathname === "/host.html") {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(
      `<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>Shop</h1>` +
        `<script src="${server.url}/chat/widget.js" data-workflow="${workflowId}" data-title="Ask the shop"></script>` +
        `</body></html>`,
    );
    return;
  }
  if (req.method === "POST" && url.pathname === "/v1/chat/completions") {
    const request = JSON.parse(await body(req)) as { stream?: boolean; messages: { content: string }[] };
    prompts.push(request.messages.at(-1)?.content ?? "");
    const base = { id: "chatcmpl-e2e", object: "chat.completion.chunk", created: 0, model: "gpt-4o-mini" };
    if (!request.stream) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: ANSWER }, finish_reason: "stop" }], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
    for (let i = 0; i < ANSWER.length; i += 6) {
      send({ ...base, choices: [{ index: 0, delta: { content: ANSWER.slice(i, i + 6) }, finish_reason: null }] });
      await sleep(120); // slow enough to watch the answer grow
    }
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
    send({ ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } });
    res.end("data: [DONE]\n\n");
    return;
  }
  res.writeHead(url.pathname === "/favicon.ico" ? 204 : 404);
  res.end();
}

async function api(path: string, token: string, payload: unknown): Promise<{ id: number }> {
  const resp = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(payload),
  });
  if (resp.status !== 201) throw new Error(`${path}: ${resp.status} ${await resp.text()}`);
  return (await resp.json()) as { id: number };
}

beforeAll(async () => {
  models = createServer((req, res) => void handle(req, res));
  await new Promise<void>((ok) => models.listen(0, "127.0.0.1", ok));
  const address = models.address();
  modelsUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  server = await startServer({ WIREWORK_OUTBOUND_ALLOW: "127.0.0.1" });
  browser = await openBrowser(server.url);
  console.log(`screenshots: ${SCREENSHOTS}`);

  const setup = await fetch(`${server.url}/api/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(OWNER),
  });
  const { access_token: token } = (await setup.json()) as { access_token: string };
  const integration = await api("/api/integrations", token, {
    name: "Models",
    type: "openai",
    credentials: { base_url: `${modelsUrl}/v1`, api_key: "sk-e2e" },
  });
  const workflow = await api("/api/workflows", token, {
    name: "Shop assistant",
    active: true,
    nodes: [
      {
        id: "chat_in",
        type: "ai.chat_trigger",
        params: {
          access: "public",
          title: "Shop assistant",
          welcome_message: "Hello! What would you like to know?",
          allowed_origins: [modelsUrl],
        },
      },
      {
        id: "answer",
        type: "ai.chat",
        params: { integration_id: integration.id, model: "gpt-4o-mini", prompt: "{{ json.message }}" },
      },
    ],
    connections: [{ from: "chat_in", to: "answer" }],
  });
  workflowId = workflow.id;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((ok) => models?.close(ok));
});

it("the hosted page streams the answer, signed out", async () => {
  const { page } = browser;
  try {
    await page.goto(`/chat/${workflowId}`);
    await page.getByRole("heading", { name: "Shop assistant" }).waitFor();
    const log = page.getByRole("log", { name: "Messages" });
    await log.getByText("Hello! What would you like to know?").waitFor();

    await page.getByRole("textbox", { name: "Message" }).fill("What is Wirework?");
    await page.getByRole("button", { name: "Send" }).click();
    // While it streams: part of the answer, still marked busy.
    const streaming = log.locator("[aria-busy=true]");
    await streaming.getByText(/^Wirework runs/).waitFor();
    const partial = (await streaming.textContent()) ?? "";
    expect(partial.replace("▍", "").length).toBeLessThan(ANSWER.length);
    await browser.screenshot("chat-streaming");
    // Then whole.
    await log.getByText(ANSWER, { exact: true }).waitFor();
    await streaming.waitFor({ state: "detached" });
    expect(prompts).toContain("What is Wirework?");
    await browser.screenshot("chat-answered");

    // A reload keeps the conversation (the session lives in this browser).
    await page.reload();
    await page.getByRole("log", { name: "Messages" }).getByText(ANSWER, { exact: true }).waitFor();
    expect(browser.problems).toEqual([]);
  } catch (error) {
    await browser.screenshot("chat-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver:\n${server.output()}`);
  }
}, 120_000);

it("the widget on an allowed site opens the chat in a frame", async () => {
  const { page } = browser;
  try {
    await page.goto(`${modelsUrl}/host.html`);
    await page.getByRole("button", { name: "Ask the shop" }).click();
    const frame = page.frameLocator(`iframe[title="Ask the shop"]`);
    await frame.getByRole("heading", { name: "Shop assistant" }).waitFor();
    await frame.getByRole("textbox", { name: "Message" }).fill("Do you ship abroad?");
    await frame.getByRole("button", { name: "Send" }).click();
    // The frame continues the conversation of the page test (same server, same browser).
    const log = frame.getByRole("log", { name: "Messages" });
    await log.getByText("Do you ship abroad?").waitFor();
    await log.getByText(ANSWER, { exact: true }).nth(1).waitFor();
    await log.locator("[aria-busy=true]").waitFor({ state: "detached" });
    expect(prompts).toContain("Do you ship abroad?");
    await browser.screenshot("chat-widget");
    expect(browser.problems).toEqual([]);
  } catch (error) {
    await browser.screenshot("chat-widget-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver:\n${server.output()}`);
  }
}, 120_000);
