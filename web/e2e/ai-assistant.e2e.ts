/**
 * "Describe a workflow" against a real server in a real browser, the model being a local
 * server started here that speaks OpenAI's chat completions (127.0.0.1, allowed through
 * WIREWORK_OUTBOUND_ALLOW) and answers with a scripted draft: the draft's nodes listed in the
 * dialog, applied to the canvas, saved through the normal Save. The model never sees the
 * integration's API key. Any console error, failed request or HTTP error fails the run.
 */
import { createServer, type Server } from "node:http";

import { afterAll, beforeAll, expect, it } from "vitest";

import { openBrowser, type Browser } from "./browser";
import { createOwner, portOf, readBody, send as sendAs } from "./helpers";
import { startServer, type RunningServer } from "./server";

const OWNER = { email: "ava@example.com", password: "assistant password 1" };
const API_KEY = "sk-e2e-Vq7Ld2Xp9Rw";

const DRAFT = {
  name: "Greet people",
  description: "Greets whoever runs it",
  nodes: [
    { id: "start", type: "core.manual", params: {} },
    { id: "greet", name: "Greet", type: "core.set", params: { fields: { greeting: "Hello {{ json.name }}" } } },
  ],
  connections: [{ from: "start", to: "greet" }],
};

let server: RunningServer;
let browser: Browser;
let model: Server;
const bodies: string[] = [];

beforeAll(async () => {
  model = createServer((req, res) => {
    void readBody(req).then((text) => {
      bodies.push(text);
      const completion = {
        id: "chatcmpl-e2e",
        object: "chat.completion",
        created: 0,
        model: "gpt-4o",
        choices: [{ index: 0, message: { role: "assistant", content: JSON.stringify(DRAFT) }, finish_reason: "stop" }],
        usage: { prompt_tokens: 900, completion_tokens: 120, total_tokens: 1020 },
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(completion));
    });
  });
  await new Promise<void>((ok) => model.listen(0, "127.0.0.1", ok));
  server = await startServer({ WIREWORK_OUTBOUND_ALLOW: "127.0.0.1" });
  browser = await openBrowser(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((ok) => model?.close(ok));
});

function send<T>(method: "post" | "put", path: string, data: unknown): Promise<T> {
  return sendAs<T>(browser, method, path, data);
}

it("drafts a workflow from a description and applies it to the canvas", async () => {
  const { page } = browser;
  try {
    await page.goto("/setup");
    await createOwner(page, "Ava", OWNER);

    const port = portOf(model);
    const integration = await send<{ id: number }>("post", "/api/integrations", {
      name: "Local model",
      type: "openai",
      credentials: { base_url: `http://127.0.0.1:${port}/v1`, api_key: API_KEY, max_retries: 0 },
    });
    await send("put", "/api/ai/assistant", { integration_id: integration.id, model: "gpt-4o" });
    const flow = await send<{ id: number }>("post", "/api/workflows", { name: "Empty", nodes: [{ id: "start", type: "core.manual" }] });

    await page.goto(`/workflows/${flow.id}`);
    await page.locator('.react-flow__node[data-id="start"]').waitFor();
    await page.getByRole("button", { name: "Describe a workflow (AI)" }).click();
    const dialog = page.getByRole("dialog", { name: "Describe a workflow" });
    await dialog.getByLabel("What should the workflow do?").fill("Greet whoever runs it by name");
    await dialog.getByRole("button", { name: "Draft", exact: true }).click();
    const draft = dialog.getByRole("region", { name: "Draft" });
    await draft.getByText("added").waitFor();
    await draft.getByText("Greet", { exact: true }).waitFor();
    await dialog.getByRole("button", { name: "Apply to canvas" }).click();
    await dialog.waitFor({ state: "detached" });

    await page.locator('.react-flow__node[data-id="greet"]').waitFor();
    await page.locator('.react-flow__edge[data-id="start:main->greet:main"]').waitFor({ state: "attached" });
    await page.getByText("Unsaved changes").waitFor();
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText("Saved · version 2").waitFor();
    await browser.screenshot("ai-draft-applied");

    const saved = (await (await page.request.get(`/api/workflows/${flow.id}`)).json()) as { name: string; nodes: { id: string }[] };
    expect(saved.name).toBe("Greet people");
    expect(saved.nodes.map((n) => n.id)).toEqual(["start", "greet"]);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain("Greet whoever runs it by name");
    expect(bodies[0]).not.toContain(API_KEY);
  } catch (error) {
    await browser.screenshot("ai-draft-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(browser.problems).toEqual([]);
});
