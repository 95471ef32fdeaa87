/**
 * The AI nodes in the editor against a real server in a real browser, the model being a local
 * server started here that speaks OpenAI's chat completions (127.0.0.1, allowed through
 * WIREWORK_OUTBOUND_ALLOW) and answers what each request asks for: a structured answer for
 * `ai.structured_output`'s JSON Schema (wrong once, so the node asks again), a label for
 * `ai.classify`'s. Two walks through the editor:
 * 1. manual → ai.structured_output built on the canvas, the OpenAI integration and the model
 *    picked, the schema made with the builder, the workflow run: the validated answer is the
 *    node's output, the request carried the builder's schema, the saved document holds it and
 *    the builder shows it again after a reload;
 * 2. ai.classify: one output handle per label (a label added in the panel adds one), two of
 *    them connected to two nodes with the mouse, the workflow run on pinned tickets: each
 *    ticket leaves by the output the model chose, in the UI and in the executions API.
 * Any console error, failed request or HTTP error fails the run.
 */
import { createServer, type Server } from "node:http";

import { afterAll, beforeAll, expect, it } from "vitest";

import { openBrowser, type Browser } from "./browser";
import { canvasNode, closeNodePanel, createOwner, openNode, portOf, readBody, savedAs, send as sendAs } from "./helpers";
import { startServer, waitFor, type RunningServer } from "./server";

const OWNER = { email: "noor@example.com", password: "ai nodes password 1" };
const API_KEY = "sk-e2e-Hn4Tq8Zw2Lp";
const MODEL = "gpt-4o-mini";

type Schema = Record<string, unknown> & { properties?: Record<string, { enum?: unknown[] }> };

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: { type: string; json_schema?: { name: string; schema: Schema; strict?: boolean } };
}

interface Workflow {
  id: number;
  version: number;
  nodes: { id: string; type: string; params: Record<string, unknown> }[];
  connections: { from: string; to: string; from_output?: string; to_input?: string }[];
}

interface Execution {
  id: string;
  status: string;
  steps: { node_id: string; status: string; output: Record<string, Record<string, unknown>[]> | null }[];
}

/** The tickets ai.classify routes, and the label the scripted model gives each. */
const TICKETS = [
  { subject: "Invoice 1042 was charged twice", label: "billing" },
  { subject: "The app crashes when I save a draft", label: "bug" },
  { subject: "Do you have a dark mode?", label: "other" },
];

let server: RunningServer;
let browser: Browser;
let model: Server;
let integrationId = 0;
/** Every chat completion request the model got, parsed; and anything it could not answer. */
const chats: ChatBody[] = [];
const unexpected: string[] = [];

/** What the model answers: the label of the ticket for a classification (its enum of labels),
 * a receipt for the receipt schema: first with a wrong type, right once told what was wrong. */
function answer(body: ChatBody): string | null {
  const schema = body.response_format?.json_schema?.schema;
  const last = body.messages.at(-1)?.content ?? "";
  const labels = schema?.properties?.label?.enum;
  if (labels) {
    const ticket = TICKETS.find((t) => last.includes(t.subject));
    return ticket && labels.includes(ticket.label) ? JSON.stringify({ label: ticket.label }) : null;
  }
  if (schema?.properties?.amount) {
    const repair = last.startsWith("That answer does not follow the JSON Schema");
    return JSON.stringify({ name: "Ada Lovelace", amount: repair ? 42.5 : "forty-two" });
  }
  return null;
}

function startModel(): Promise<void> {
  model = createServer((req, res) => {
    void readBody(req).then((text) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method === "GET" && req.url === "/v1/models") {
        reply(200, { object: "list", data: [MODEL, "gpt-4o"].map((id) => ({ id, object: "model", created: 0, owned_by: "e2e" })) });
        return;
      }
      const body = req.method === "POST" && req.url === "/v1/chat/completions" ? (JSON.parse(text) as ChatBody) : null;
      const content = body ? answer(body) : null;
      if (!body || content === null) {
        unexpected.push(`${req.method} ${req.url} ${text.slice(0, 500)}`);
        reply(400, { error: { message: "the e2e model has no answer for this", type: "invalid_request_error" } });
        return;
      }
      chats.push(body);
      reply(200, {
        id: `chatcmpl-e2e-${chats.length}`,
        object: "chat.completion",
        created: 0,
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 60, completion_tokens: 12, total_tokens: 72 },
      });
    });
  });
  return new Promise<void>((ok) => model.listen(0, "127.0.0.1", ok));
}

beforeAll(async () => {
  await startModel();
  server = await startServer({ WIREWORK_OUTBOUND_ALLOW: "127.0.0.1" });
  browser = await openBrowser(server.url);
  const { page } = browser;
  await page.goto("/setup");
  await createOwner(page, "Noor", OWNER);
  const port = portOf(model);
  const integration = await send<{ id: number }>("post", "/api/integrations", {
    name: "OpenAI",
    type: "openai",
    credentials: { base_url: `http://127.0.0.1:${port}/v1`, api_key: API_KEY, max_retries: 0 },
  });
  integrationId = integration.id;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((ok) => model?.close(ok));
});

function send<T>(method: "post" | "put", path: string, data: unknown): Promise<T> {
  return sendAs<T>(browser, method, path, data);
}

async function get<T>(path: string): Promise<T> {
  const resp = await browser.page.request.get(path);
  expect(resp.status(), path).toBe(200);
  return (await resp.json()) as T;
}

/** The last execution of a workflow, once it has finished. */
async function lastExecution(workflowId: number): Promise<Execution> {
  let id = "";
  await waitFor("the execution", async () => {
    const list = await get<{ items: { id: string; status: string }[] }>(`/api/executions?workflow_id=${workflowId}`);
    id = list.items[0]?.status === "success" ? list.items[0].id : "";
    return id !== "";
  });
  return get<Execution>(`/api/executions/${id}`);
}

const node = (id: string) => canvasNode(browser.page, id);
const outputHandles = (id: string) => node(id).locator(".react-flow__handle.source");

/** Draw a connection with the mouse, from an output handle to an input handle. */
async function connect(from: string, to: string, output = "main", input = "main") {
  const { page } = browser;
  const source = node(from).locator(`.react-flow__handle.source[data-handleid="${output}"]`);
  const target = node(to).locator(`.react-flow__handle.target[data-handleid="${input}"]`);
  const a = (await source.boundingBox())!;
  const b = (await target.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await page.mouse.move(a.x + ((b.x - a.x) * i) / 10 + a.width / 2, a.y + ((b.y - a.y) * i) / 10 + a.height / 2);
  }
  await page.mouse.up();
  await page.locator(`.react-flow__edge[data-id="${from}:${output}->${to}:${input}"]`).waitFor({ state: "attached" });
}

/** Run the test body; on failure, a screenshot and everything the browser and server said. */
async function walk(name: string, body: () => Promise<void>) {
  try {
    await body();
  } catch (error) {
    await browser.screenshot(`${name}-failure`).catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nmodel: ${unexpected.join("\n")}\nserver: ${server.output()}`);
  }
  expect(unexpected).toEqual([]);
  expect(browser.problems).toEqual([]);
}

it("builds a structured output node with the schema builder and runs it", async () => {
  await walk("ai-structured", async () => {
    const { page, screenshot } = browser;
    const ID = "ai_structured_output";
    const NAME = "AI: Structured output";
    await page.goto("/workflows");
    await page.getByLabel("New workflow").fill("Receipts");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("link", { name: "Receipts" }).click();
    await page.waitForURL(/\/workflows\/\d+$/);
    const flowId = Number(new URL(page.url()).pathname.split("/").pop());
    await node("start").waitFor();

    // manual → ai.structured_output, from the palette.
    await page.getByRole("button", { name: "Add a node" }).click();
    const palette = page.getByRole("complementary", { name: "Add a node" });
    await palette.getByRole("searchbox", { name: "Search node types" }).fill("structured");
    // Dropped to the right of the manual trigger, clear of it.
    const pane = (await page.locator(".react-flow__pane").boundingBox())!;
    const start = (await node("start").boundingBox())!;
    const drop = { x: start.x - pane.x + start.width + 120, y: start.y - pane.y + start.height / 2 };
    await palette.locator('button[data-type="ai.structured_output"]').dragTo(page.locator(".react-flow__pane"), { targetPosition: drop });
    await node(ID).waitFor();
    await page.getByRole("button", { name: "Close the node palette" }).click();
    await connect("start", ID);

    // The provider, its model, the prompt and the schema, all in the panel.
    const panel = await openNode(browser.page, ID, NAME);
    const integration = panel.getByRole("combobox", { name: /^Integration ID/ });
    await integration.getByRole("option", { name: "OpenAI (openai)" }).waitFor({ state: "attached" });
    await integration.selectOption({ label: "OpenAI (openai)" });
    await panel.getByText("2 models listed by the integration").waitFor();
    await panel.getByRole("combobox", { name: /^Model/ }).fill(MODEL);
    await panel.getByRole("textbox", { name: /^Prompt/ }).fill("Read this receipt: Ada Lovelace paid 42.50 EUR for tea.");
    const builder = panel.getByRole("group", { name: "JSON schema (required)", exact: true });
    await builder.getByRole("button", { name: "Add a field" }).click();
    await builder.getByRole("textbox", { name: "Answer: name of field 1" }).fill("name");
    await builder.getByRole("textbox", { name: "Description of name" }).fill("who paid");
    await builder.getByRole("button", { name: "Add a field" }).click();
    await builder.getByRole("textbox", { name: "Answer: name of field 2" }).fill("amount");
    await builder.getByRole("combobox", { name: "Type of amount" }).selectOption("number");
    await builder.getByRole("checkbox", { name: "amount is required" }).uncheck();
    await screenshot("ai-structured-builder");
    const schema = {
      type: "object",
      properties: { name: { type: "string", description: "who paid" }, amount: { type: "number" } },
      required: ["name"],
    };

    // Run (saves first): the first answer is sent back with what was wrong, the second is
    // the node's output.
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Run succeeded" }).waitFor();
    await panel.getByRole("tab", { name: "Data" }).click();
    const output = panel.getByRole("region", { name: `Output of ${NAME}` });
    await output.getByRole("cell", { name: "Ada Lovelace" }).waitFor();
    await output.getByRole("cell", { name: "42.5" }).waitFor();
    expect(await output.getByRole("columnheader").allTextContents()).toEqual(expect.arrayContaining(["name", "amount"]));
    await screenshot("ai-structured-output");
    await closeNodePanel(browser.page); // the canvas is narrower while it is open: the node may be out of view
    await node(ID).getByRole("img", { name: /^succeeded, 1 item/ }).waitFor();

    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat.model).toBe(MODEL);
      expect(chat.response_format).toEqual({ type: "json_schema", json_schema: { name: "output", schema, strict: false } });
      expect(chat.messages.some((m) => m.content.includes("Ada Lovelace paid 42.50 EUR"))).toBe(true);
    }
    expect(chats[1]!.messages.at(-1)!.content).toContain("at /amount: 'forty-two' is not of type 'number'");
    expect(JSON.stringify(chats)).not.toContain(API_KEY);

    const doc = await get<Workflow>(`/api/workflows/${flowId}`);
    const built = doc.nodes.find((n) => n.id === ID)!;
    expect(built.params).toMatchObject({ integration_id: integrationId, model: MODEL, json_schema: schema });
    expect(doc.connections).toEqual([{ from: "start", from_output: "main", to: ID, to_input: "main" }]);
    const execution = await lastExecution(flowId);
    expect(execution.steps.find((s) => s.node_id === ID)?.output).toEqual({ main: [{ name: "Ada Lovelace", amount: 42.5 }] });

    // After a reload the builder shows the saved schema field by field.
    await page.reload();
    const again = await openNode(browser.page, ID, NAME);
    const rebuilt = again.getByRole("group", { name: "JSON schema (required)", exact: true });
    expect(await rebuilt.getByRole("textbox", { name: "Answer: name of field 1" }).inputValue()).toBe("name");
    expect(await rebuilt.getByRole("textbox", { name: "Answer: name of field 2" }).inputValue()).toBe("amount");
    expect(await rebuilt.getByRole("combobox", { name: "Type of amount" }).inputValue()).toBe("number");
    expect(await rebuilt.getByRole("checkbox", { name: "name is required" }).isChecked()).toBe(true);
    expect(await rebuilt.getByRole("checkbox", { name: "amount is required" }).isChecked()).toBe(false);
    await page.getByRole("status").filter({ hasText: /Saved · version \d+/ }).waitFor();
  });
});

it("routes items to the outputs named by ai.classify's labels", async () => {
  await walk("ai-classify", async () => {
    const { page, screenshot } = browser;
    const flow = await send<Workflow>("post", "/api/workflows", {
      name: "Ticket triage",
      nodes: [
        { id: "start", type: "core.manual", position: { x: 0, y: 200 } },
        {
          id: "triage",
          name: "Triage",
          type: "ai.classify",
          position: { x: 300, y: 200 },
          params: {
            integration_id: integrationId,
            model: MODEL,
            text: "{{ json.subject }}",
            labels: [
              { label: "billing", description: "invoices, payments, refunds" },
              { label: "bug", description: "something does not work" },
            ],
          },
        },
        { id: "billing_queue", name: "Billing queue", type: "core.noop", position: { x: 650, y: 80 } },
        { id: "file_bug", name: "File bug", type: "core.noop", position: { x: 650, y: 320 } },
      ],
      connections: [{ from: "start", to: "triage" }],
      pinned_data: { start: TICKETS.map((t) => ({ subject: t.subject })) },
    });
    await page.goto(`/workflows/${flow.id}`);
    await node("triage").waitFor();
    await savedAs(browser.page, 1);

    // One output per label; a label added in the panel is one more.
    await waitFor("two label outputs", async () => (await outputHandles("triage").count()) === 2);
    expect(await outputHandles("triage").evaluateAll((hs) => hs.map((h) => h.getAttribute("data-handleid")))).toEqual(["billing", "bug"]);
    const panel = await openNode(browser.page, "triage", "Triage");
    await panel.getByRole("button", { name: "Add label" }).click();
    const third = panel.getByRole("listitem", { name: "Labels 3" });
    await third.getByRole("textbox", { name: /^Label/ }).fill("other");
    await third.getByRole("textbox", { name: /^Description/ }).fill("anything else");
    await waitFor("a third label output", async () => (await outputHandles("triage").count()) === 3);
    expect(await outputHandles("triage").evaluateAll((hs) => hs.map((h) => h.getAttribute("data-handleid")))).toEqual(["billing", "bug", "other"]);
    for (const label of ["billing", "bug", "other"]) await node("triage").getByText(label, { exact: true }).waitFor();
    await closeNodePanel(browser.page);

    // billing and bug connected with the mouse; other left open (its items go nowhere).
    await connect("triage", "billing_queue", "billing");
    await connect("triage", "file_bug", "bug");
    await screenshot("ai-classify-connected");
    await page.keyboard.press("Control+s");
    await savedAs(browser.page, 2);
    const doc = await get<Workflow>(`/api/workflows/${flow.id}`);
    expect(doc.connections).toEqual([
      { from: "start", from_output: "main", to: "triage", to_input: "main" },
      { from: "triage", from_output: "billing", to: "billing_queue", to_input: "main" },
      { from: "triage", from_output: "bug", to: "file_bug", to_input: "main" },
    ]);
    expect((doc.nodes.find((n) => n.id === "triage")!.params.labels as { label: string }[]).map((l) => l.label)).toEqual(["billing", "bug", "other"]);

    // Run on the pinned tickets: each leaves by the label the model gave it.
    const before = chats.length;
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Run succeeded" }).waitFor();
    await node("triage").getByRole("img", { name: /^succeeded, 3 items/ }).waitFor();
    await node("billing_queue").getByRole("img", { name: /^succeeded, 1 item,/ }).waitFor();
    await node("file_bug").getByRole("img", { name: /^succeeded, 1 item,/ }).waitFor();

    const triage = await openNode(browser.page, "triage", "Triage");
    await triage.getByRole("tab", { name: "Data" }).click();
    const ports = triage.getByRole("group", { name: "Output of Triage: ports" });
    for (const label of ["billing", "bug", "other"]) await ports.getByRole("button", { name: `${label} (1 item)` }).waitFor();
    await ports.getByRole("button", { name: "other (1 item)" }).click();
    await triage.getByRole("region", { name: "Output of Triage" }).getByRole("cell", { name: TICKETS[2]!.subject }).waitFor();
    await screenshot("ai-classify-output");
    await closeNodePanel(browser.page);
    for (const [id, name, ticket] of [["billing_queue", "Billing queue", TICKETS[0]!], ["file_bug", "File bug", TICKETS[1]!]] as const) {
      const target = await openNode(browser.page, id, name);
      await target.getByRole("tab", { name: "Data" }).click();
      const out = target.getByRole("region", { name: `Output of ${name}` });
      await out.getByRole("cell", { name: ticket.subject }).waitFor();
      expect(await out.getByRole("row").count()).toBe(2); // the header and the one ticket
      await closeNodePanel(browser.page);
    }

    const calls = chats.slice(before);
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call.response_format?.json_schema?.schema).toEqual({
        type: "object",
        properties: { label: { enum: ["billing", "bug", "other", null] } },
        required: ["label"],
      });
    }
    const execution = await lastExecution(flow.id);
    const output = (id: string) => execution.steps.find((s) => s.node_id === id)?.output;
    const routed = (label: string) => [{ subject: TICKETS.find((t) => t.label === label)!.subject, classification: { labels: [label] } }];
    expect(output("triage")).toEqual({ billing: routed("billing"), bug: routed("bug"), other: routed("other") });
    expect(output("billing_queue")).toEqual({ main: routed("billing") });
    expect(output("file_bug")).toEqual({ main: routed("bug") });
  });
});
