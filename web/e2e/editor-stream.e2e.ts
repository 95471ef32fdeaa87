/**
 * Live streamed output in the editor, against a real server in a real browser. The model is a
 * local server started here that speaks OpenAI's chat completions (127.0.0.1, allowed through
 * WIREWORK_OUTBOUND_ALLOW) and streams its answers as server-sent chunks. A workflow manual →
 * ai.chat "Ask" (`stream: true`) → ai.chat "Close" is run from the editor with Ask's Data tab
 * open. Ask's answer comes one word every 150 ms, its ending held until the test has seen part
 * of it in the editor: the node shows on the canvas that it streams and the panel shows the
 * text growing — whole from its first word (Run starts the execution and follows it in one
 * request, so no piece is missed) — without the held words. Once they are let go, Ask's step
 * finishes and its recorded output takes the live text's place while the run goes on (Close's
 * answer is held in turn); then the run ends.
 * Any console error, failed request or HTTP error fails the run.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

import { afterAll, beforeAll, expect, it } from "vitest";

import { openBrowser, SCREENSHOTS, type Browser } from "./browser";
import { canvasNode, createOwner, portOf, readBody } from "./helpers";
import { startServer, waitFor, type RunningServer } from "./server";

const OWNER = { email: "sam@example.com", password: "a streaming password 1" };
const WORDS = ["Once", "upon", "a", "time,", "a", "workflow", "ran", "itself", "while", "everyone", "watched."];
const ENDING = " The end.";
/** Words are sent at most this many times over before the test lets the ending go. */
const MAX_WORDS = 400;

let server: RunningServer;
let browser: Browser;
let model: Server;
let release: () => void = () => undefined;
const released = new Promise<void>((ok) => (release = ok));
let releaseClose: () => void = () => undefined;
const closing = new Promise<void>((ok) => (releaseClose = ok));
/** What the model server streamed for Ask, and the requests (did they ask for a stream?). */
let sent = "";
const requests: { stream?: boolean }[] = [];
const CLOSE_PROMPT = "Say goodbye";
const GOODBYE = "Goodbye.";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Chat completions, streamed. Ask's: words every 150 ms until released (however long the
 * editor takes to follow the run), then the ending; Close's: once let go. Then the finish and
 * usage chunks, and [DONE]. */
async function complete(req: IncomingMessage, res: ServerResponse) {
  const request = JSON.parse(await readBody(req)) as { stream?: boolean; messages?: { content?: unknown }[] };
  requests.push(request);
  const base = { id: "chatcmpl-e2e", object: "chat.completion.chunk", created: 0, model: "gpt-4o-mini" };
  if (!request.stream) {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: "this test's model only streams", type: "invalid_request_error" } }));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (content: string) => send({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] });
  send({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] });
  if (JSON.stringify(request.messages ?? []).includes(CLOSE_PROMPT)) {
    await closing;
    chunk(GOODBYE);
  } else {
    const piece = (content: string) => {
      sent += content;
      chunk(content);
    };
    let letGo = false;
    void released.then(() => (letGo = true));
    for (let i = 0; i < MAX_WORDS && !letGo; i++) {
      piece(`${i === 0 ? "" : " "}${WORDS[i % WORDS.length]}`);
      await sleep(150);
    }
    await released;
    piece(ENDING);
  }
  send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
  send({ ...base, choices: [], usage: { prompt_tokens: 7, completion_tokens: 40, total_tokens: 47 } });
  res.end("data: [DONE]\n\n");
}

beforeAll(async () => {
  model = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/v1/chat/completions") void complete(req, res);
    else if (req.method === "GET" && req.url === "/v1/models") {
      // The AI node's model picker lists them.
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "gpt-4o-mini", object: "model", created: 0, owned_by: "e2e" }] }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((ok) => model.listen(0, "127.0.0.1", ok));
  server = await startServer({ WIREWORK_OUTBOUND_ALLOW: "127.0.0.1" });
  browser = await openBrowser(server.url);
  console.log(`screenshots: ${SCREENSHOTS}`);
});

afterAll(async () => {
  release();
  releaseClose();
  await browser?.close();
  await server?.stop();
  model?.closeAllConnections();
  await new Promise((ok) => model?.close(ok));
});

async function post<T>(path: string, data: unknown): Promise<T> {
  const csrf = (await browser.context.cookies()).find((c) => c.name === "wirework_csrf")?.value ?? "";
  const resp = await browser.page.request.post(path, { data, headers: { "X-CSRF-Token": csrf } });
  const text = await resp.text();
  expect(resp.status(), `${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as T;
}

const node = (id: string) => canvasNode(browser.page, id);

it("shows an AI node's answer as it streams, then its recorded output", async () => {
  const { page } = browser;
  try {
    await page.goto("/setup");
    await createOwner(page, "Sam", OWNER);

    const port = portOf(model);
    const integration = await post<{ id: number }>("/api/integrations", {
      name: "Local model",
      type: "openai",
      credentials: { base_url: `http://127.0.0.1:${port}/v1`, api_key: "sk-e2e-stream", max_retries: 0 },
    });
    const flow = await post<{ id: number }>("/api/workflows", {
      name: "Story teller",
      nodes: [
        { id: "start", type: "core.manual", position: { x: 0, y: 0 } },
        {
          id: "ask",
          name: "Ask",
          type: "ai.chat",
          position: { x: 300, y: 0 },
          params: { integration_id: integration.id, model: "gpt-4o-mini", prompt: "Tell a very short story", stream: true },
        },
        {
          id: "close",
          name: "Close",
          type: "ai.chat",
          position: { x: 600, y: 0 },
          params: { integration_id: integration.id, model: "gpt-4o-mini", prompt: CLOSE_PROMPT, stream: true },
        },
      ],
      connections: [
        { from: "start", to: "ask" },
        { from: "ask", to: "close" },
      ],
    });

    // The AI node's panel, on its Data tab, before the run.
    await page.goto(`/workflows/${flow.id}`);
    await node("ask").locator('[data-testid="node-name"]').click();
    const panel = page.getByRole("complementary", { name: "Node Ask" });
    await panel.getByRole("tab", { name: "Data" }).click();
    await panel.getByText("No output yet: run the workflow or test the node.").waitFor();

    await page.getByRole("button", { name: "Run", exact: true }).click();

    // While it streams: the node says so on the canvas, the text grows in the panel, and the
    // held ending is not there yet.
    await node("ask").locator('[data-status="running"][data-streaming="true"]').waitFor();
    await node("ask").getByRole("img", { name: /^running, streaming output/ }).waitFor();
    const live = panel.getByRole("log", { name: "Text streamed by Ask" });
    await live.waitFor();
    await panel.getByRole("region", { name: "Live output of Ask" }).and(page.locator("[aria-busy=true]")).waitFor();
    await panel.getByText("No output yet: the node is running.").waitFor();
    let first = "";
    await waitFor("part of the answer in the panel", async () => (first = (await live.textContent()) ?? "").length > 0);
    let later = "";
    await waitFor("the answer to grow", async () => (later = (await live.textContent()) ?? "").length > first.length);
    // Run started the execution and followed it in one request: the text is whole from the
    // answer's first word, and grows at its end.
    expect(first.startsWith(WORDS[0]!)).toBe(true);
    expect(later.startsWith(first)).toBe(true);
    expect(sent.startsWith(later)).toBe(true);
    expect(later).not.toContain("The end.");
    await browser.screenshot("editor-streaming");

    // Let the ending go: Ask's step finishes and its recorded output takes the live text's
    // place while the run goes on (Close's answer is held).
    release();
    await panel.getByRole("region", { name: "Live output of Ask" }).waitFor({ state: "detached" });
    await node("ask").locator('[data-status="success"]').waitFor();
    expect(await node("ask").locator("[data-streaming]").count()).toBe(0);
    const output = panel.getByRole("region", { name: "Output of Ask" });
    await output.getByRole("button", { name: "JSON" }).click();
    const json = output.getByRole("list", { name: "Output of Ask as JSON" });
    await json.getByText("The end.", { exact: false }).waitFor();
    expect(sent.startsWith(`${WORDS[0]} ${WORDS[1]}`) && sent.endsWith(ENDING)).toBe(true);
    const item = JSON.parse((await json.locator("pre").first().textContent()) ?? "{}") as { text?: string };
    expect(item.text).toBe(sent);
    // …before the run ends: Close (off the canvas's visible part, behind the panel) still
    // waits for its answer.
    await page.getByRole("status").filter({ hasText: "Running…" }).waitFor();
    expect(await page.getByRole("status").filter({ hasText: "Run succeeded" }).count()).toBe(0);
    expect(requests).toHaveLength(2);
    await browser.screenshot("editor-streamed");

    // Let Close answer: the run ends, Ask's output stays.
    releaseClose();
    await page.getByRole("status").filter({ hasText: "Run succeeded" }).waitFor();
    await json.getByText("The end.", { exact: false }).waitFor();
    expect(requests).toEqual([expect.objectContaining({ stream: true }), expect.objectContaining({ stream: true })]);
  } catch (error) {
    await browser.screenshot("editor-stream-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(browser.problems).toEqual([]);
});
