/**
 * The workflow editor against a real server in a real browser. Builds webhook → set →
 * respond by dragging nodes from the palette and connecting their handles with the mouse, with
 * the Set node's expression chosen from autocomplete on the data of a real test call; saves,
 * listens for a test event, tests a node and reads its output in the panel, activates, calls
 * the webhook over HTTP, finds the execution in the list and its node data on the replay
 * canvas; then undo/redo, copy/paste, tidy-up, the unsaved-changes guard, a 422 shown on its
 * field and a version restore. Any console error, page error, failed request or HTTP error
 * fails the run, except the 422 provoked on purpose. Screenshots: web/test-results/screenshots
 * (editor-*; editor.png is the README's).
 */
import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { canvasNode, createOwner, savedAs } from "./helpers";
import { startServer, waitFor, type RunningServer } from "./server";

const OWNER = { name: "Ada Owner", email: "ada@example.com", password: "a long password 123" };
const NAME = "Bug intake";

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

it("builds, runs and edits a workflow on the canvas", async () => {
  try {
    await walkThrough();
  } catch (error) {
    await browser.screenshot("editor-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  const unexpected = browser.problems.filter((p) => !expected(p));
  expect(unexpected).toEqual([]);
  expect(browser.problems.some((p) => p.startsWith("HTTP 422: PUT"))).toBe(true);
});

/** The 422 the test provokes (and Chromium's console line for it). */
function expected(problem: string): boolean {
  return problem.includes("422") && (problem.includes("PUT") || problem.includes("Failed to load resource"));
}

interface Workflow {
  id: number;
  version: number;
  active: boolean;
  nodes: { id: string; name: string; type: string; params: Record<string, unknown>; position?: { x: number; y: number } }[];
  connections: { from: string; to: string; from_output?: string; to_input?: string }[];
}

async function getWorkflow(id: number): Promise<Workflow> {
  const resp = await browser.page.request.get(`/api/workflows/${id}`);
  expect(resp.status()).toBe(200);
  return (await resp.json()) as Workflow;
}

const node = (id: string) => canvasNode(browser.page, id);

/** Drag a node type from the palette onto the canvas at (x, y) of the pane. */
async function dragFromPalette(typeName: string, search: string, x: number, y: number) {
  const { page } = browser;
  const palette = page.getByRole("complementary", { name: "Add a node" });
  if (!(await palette.isVisible())) await page.getByRole("button", { name: "Add a node" }).click();
  await palette.getByRole("searchbox", { name: "Search node types" }).fill(search);
  await palette.locator(`button[data-type="${typeName}"]`).dragTo(page.locator(".react-flow__pane"), { targetPosition: { x, y } });
}

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

async function openNode(id: string) {
  await node(id).locator('[data-testid="node-name"]').click();
  return browser.page.getByRole("complementary", { name: /^Node / });
}

async function saved(version: number) {
  await savedAs(browser.page, version);
}

async function walkThrough() {
  const { page, screenshot } = browser;

  // Owner, then a new workflow from the list, opened in the editor.
  await page.goto("/setup");
  await createOwner(page, OWNER.name, OWNER);
  await page.getByLabel("New workflow").fill(NAME);
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("link", { name: NAME }).click();
  await page.waitForURL(/\/workflows\/\d+$/);
  const id = Number(new URL(page.url()).pathname.split("/").pop());
  await node("start").waitFor();
  await saved(1);

  // The starter's manual trigger goes: select it, Delete.
  await node("start").click();
  await page.getByRole("button", { name: "Close the node panel" }).click();
  await node("start").click({ position: { x: 100, y: 8 } });
  await page.keyboard.press("Delete");
  await node("start").waitFor({ state: "detached" });

  // Webhook → Set → Respond, dragged from the palette and connected with the mouse.
  await dragFromPalette("core.webhook", "webhook", 140, 200);
  await dragFromPalette("core.set", "set", 420, 200);
  await dragFromPalette("core.respond", "respond", 700, 200);
  await node("respond_to_webhook").waitFor();
  await page.getByRole("button", { name: "Close the node palette" }).click();
  const hookPanel = await openNode("webhook");
  await hookPanel.getByRole("textbox", { name: /^Path/ }).fill("bugs");
  await hookPanel.getByRole("combobox", { name: /^Respond/ }).selectOption("respond_node");
  await page.getByRole("button", { name: "Close the node panel" }).click();
  await connect("webhook", "set_fields");
  await connect("set_fields", "respond_to_webhook");
  await screenshot("editor-01-built");

  // Save (a new version), then listen for a test event and call the test URL.
  await page.keyboard.press("Control+s");
  await saved(2);
  let doc = await getWorkflow(id);
  expect(doc.nodes.map((n) => n.type)).toEqual(["core.webhook", "core.set", "core.respond"]);
  expect(doc.connections).toEqual([
    { from: "webhook", from_output: "main", to: "set_fields", to_input: "main" },
    { from: "set_fields", from_output: "main", to: "respond_to_webhook", to_input: "main" },
  ]);
  await openNode("webhook");
  const testUrl = await hookPanel.getByRole("textbox", { name: "Test URL" }).inputValue();
  expect(testUrl).toBe(`${server.url}/webhook-test/bugs`);
  expect(await hookPanel.getByRole("textbox", { name: "Production URL" }).inputValue()).toBe(`${server.url}/webhook/bugs`);
  await hookPanel.getByRole("button", { name: "Listen for test event" }).click();
  await hookPanel.getByText(/Waiting for a call to the test URL/).waitFor();
  const testCall = await fetch(testUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "Crash on save" }) });
  expect(testCall.status).toBe(200);
  await hookPanel.getByText(/Called: execution/).waitFor();
  await node("webhook").locator('[data-status="success"]').waitFor();
  await node("respond_to_webhook").locator('[data-status="success"]').waitFor();

  // The Set node's field: an expression whose `json.body` is chosen from autocomplete (the
  // test call's data), then a test of the node, its output read in the panel.
  const setPanel = await openNode("set_fields");
  const fields = setPanel.locator('[data-field="params.fields"]');
  await fields.getByRole("button", { name: "Expression" }).click();
  const editor = fields.locator(".cm-content");
  await editor.click();
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Delete");
  await page.keyboard.type('{{ {"title": json.');
  const option = page.locator(".cm-tooltip-autocomplete li[role=option]").filter({ hasText: /^body/ });
  await option.waitFor();
  await screenshot("editor-02-autocomplete");
  await option.click();
  await page.keyboard.type(".title");
  // Brackets close themselves as they are typed: step over the dict's, space before `}}`.
  await page.keyboard.press("Escape");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.type(" ");
  await waitFor("the expression to be written", async () => (await editor.textContent()) === '{{ {"title": json.body.title} }}');
  await setPanel.getByRole("tab", { name: "Data" }).click();
  await setPanel.getByRole("button", { name: "Test node" }).click();
  await setPanel.getByText("Test finished: see the output below.").waitFor();
  const output = setPanel.getByRole("region", { name: "Output of Set fields" });
  await output.getByText("Crash on save").first().waitFor();
  expect(await output.getByRole("columnheader").allTextContents()).toContain("title");
  // The README's picture: the message dismissed, the panel scrolled to the node's data.
  await page.getByRole("button", { name: "Dismiss the message" }).click();
  await output.scrollIntoViewIfNeeded();
  await screenshot("editor");

  // Pin that output: stored in the document, shown on the node.
  await setPanel.getByRole("button", { name: "Pin output" }).click();
  await setPanel.getByRole("region", { name: "Pinned output", exact: true }).waitFor();
  await node("set_fields").getByRole("img", { name: "Output pinned" }).waitFor();

  // Save and activate; the production webhook answers through the Respond node.
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await saved(3);
  const pinned = (await getWorkflow(id)) as Workflow & { pinned_data: Record<string, { title: string }[]> };
  expect(pinned.pinned_data.set_fields?.[0]?.title).toBe("Crash on save");
  await page.getByRole("switch", { name: "Active" }).click();
  await page.getByRole("status").filter({ hasText: "Active: its triggers" }).waitFor();
  expect((await getWorkflow(id)).active).toBe(true);
  const call = await fetch(`${server.url}/webhook/bugs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "Login fails" }) });
  expect(call.status).toBe(200);
  expect(JSON.stringify(await call.json())).toContain('"title":"Login fails"');

  // The execution in the list, then its node data on the replay canvas.
  await page.getByRole("link", { name: "Executions of this workflow" }).click();
  await page.waitForURL(`**/executions?workflow_id=${id}`);
  let executionId = "";
  await waitFor("the webhook's execution", async () => {
    const resp = await page.request.get(`/api/executions?workflow_id=${id}`);
    const items = ((await resp.json()) as { items: { id: string; mode: string; status: string }[] }).items;
    executionId = items.find((e) => e.mode === "webhook" && e.status === "success")?.id ?? "";
    return executionId !== "";
  });
  await page.getByRole("link", { name: executionId }).click();
  await page.getByRole("heading", { name: `Execution ${executionId}` }).waitFor();
  const replay = page.locator(".react-flow");
  await replay.locator('.react-flow__node[data-id="set_fields"] [data-status="success"]').waitFor();
  await replay.locator('.react-flow__node[data-id="set_fields"] [data-testid="node-name"]').click();
  const replayPanel = page.getByRole("complementary", { name: "Node Set fields" });
  await replayPanel.getByRole("region", { name: "Output of Set fields" }).getByText("Login fails").first().waitFor();
  await screenshot("editor-03-execution-replay");

  // Back in the editor: Run (followed live, every node's badge), then undo/redo,
  // copy/paste, tidy-up.
  await page.goto(`/workflows/${id}`);
  await node("set_fields").waitFor();
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await page.getByRole("status").filter({ hasText: "Run succeeded" }).waitFor();
  for (const id of ["webhook", "set_fields", "respond_to_webhook"]) await node(id).locator('[data-status="success"]').waitFor();
  await node("set_fields").click({ position: { x: 100, y: 8 } });
  await page.getByRole("button", { name: "Close the node panel" }).click();
  await node("set_fields").click({ position: { x: 100, y: 8 } });
  await page.keyboard.press("Delete");
  await node("set_fields").waitFor({ state: "detached" });
  expect(await page.locator(".react-flow__edge").count()).toBe(0);
  await page.keyboard.press("Control+z");
  await node("set_fields").waitFor();
  expect(await page.locator(".react-flow__edge").count()).toBe(2);
  await page.keyboard.press("Control+Shift+z");
  await node("set_fields").waitFor({ state: "detached" });
  await page.keyboard.press("Control+z");
  await node("set_fields").waitFor();

  await node("set_fields").click({ position: { x: 100, y: 8 } });
  await page.getByRole("button", { name: "Close the node panel" }).click();
  await page.keyboard.press("Control+c");
  await page.mouse.move(500, 600);
  await page.keyboard.press("Control+v");
  await node("set_fields_2").waitFor();
  expect(await node("set_fields_2").locator('[data-testid="node-name"]').textContent()).toBe("Set fields 2");
  await page.keyboard.press("Delete");
  await node("set_fields_2").waitFor({ state: "detached" });

  const before = await node("respond_to_webhook").boundingBox();
  await page.keyboard.press("Shift+Alt+F");
  await waitFor("the tidy-up to move the nodes", async () => JSON.stringify(await node("respond_to_webhook").boundingBox()) !== JSON.stringify(before));
  await page.getByRole("status").filter({ hasText: "Unsaved changes" }).waitFor();

  // Leaving with unsaved changes asks first.
  await page.getByRole("link", { name: "Workflows" }).click();
  const leave = page.getByRole("alertdialog", { name: "Leave without saving?" });
  await leave.waitFor();
  await screenshot("editor-04-unsaved-guard");
  await leave.getByRole("button", { name: "Cancel" }).click();
  expect(new URL(page.url()).pathname).toBe(`/workflows/${id}`);

  // A 422 lands on the field and outlines the node; fixing it lets the save through.
  const hook = await openNode("webhook");
  const path = hook.getByRole("textbox", { name: /^Path/ });
  await path.fill("bad path!");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await node("webhook").locator("[data-invalid]").waitFor();
  await hook.locator('[data-field="params.path"]').getByText(/must be URL path segments/).waitFor();
  await screenshot("editor-05-validation-error");
  await path.fill("bugs");
  await node("webhook").locator("[data-invalid]").waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await saved(4);

  // Version history: restore version 2 (before the expression), save it as version 5.
  await page.getByRole("button", { name: "Version history" }).click();
  const versions = page.getByRole("dialog", { name: "Version history" });
  await versions.getByRole("button", { name: "View version 2" }).waitFor();
  await screenshot("editor-06-versions");
  await versions.getByRole("button", { name: "Restore version 2" }).click();
  await page.getByRole("status").filter({ hasText: "Version 2 restored" }).waitFor();
  await page.keyboard.press("Control+s");
  await saved(5);
  doc = await getWorkflow(id);
  expect(doc.version).toBe(5);
  expect(doc.nodes.find((n) => n.id === "set_fields")?.params).toEqual({});

  await renameAndNotes(id);
}

/** Rename the webhook: the Set node's expression that names it follows; a taken name is
 * refused. Then a sticky note written in Markdown is shown formatted. */
async function renameAndNotes(id: number) {
  const { page, screenshot } = browser;
  const hookName = (await getWorkflow(id)).nodes.find((n) => n.id === "webhook")!.name;
  const setPanel = await openNode("set_fields");
  const fields = setPanel.locator('[data-field="params.fields"]');
  await fields.getByRole("button", { name: "Expression" }).click();
  await fields.locator(".cm-content").click();
  await page.keyboard.insertText(`{{ {"title": nodes['${hookName}'].json.body.title} }}`);
  await page.getByRole("button", { name: "Close the node panel" }).click();

  const hook = await openNode("webhook");
  await hook.getByRole("tab", { name: "Settings" }).click();
  const name = hook.getByRole("textbox", { name: /^Name/ });
  await name.fill("Set fields");
  await name.press("Enter");
  await hook.getByText(/Another node is already called “Set fields”/).waitFor();
  await name.fill("Bug report");
  await name.press("Enter");
  await node("webhook").locator('[data-testid="node-name"]').filter({ hasText: "Bug report" }).waitFor();
  await page.getByRole("button", { name: "Close the node panel" }).click();
  await page.keyboard.press("Control+s");
  await saved(6);
  const renamed = await getWorkflow(id);
  expect(renamed.nodes.find((n) => n.id === "webhook")?.name).toBe("Bug report");
  expect(renamed.nodes.find((n) => n.id === "set_fields")?.params).toEqual({ fields: `{{ {"title": nodes['Bug report'].json.body.title} }}` });

  // A sticky note in Markdown: formatted on the canvas, raw HTML shown as text.
  await page.getByRole("button", { name: "Add a sticky note" }).click();
  const note = node("note:note").getByTestId("sticky-text");
  await note.dblclick();
  const text = page.getByRole("textbox", { name: "Sticky note text" });
  await text.fill("## Triage\n**Bugs** go to [the tracker](https://tracker.example/bugs)\n\n- first `check`\n- then <b>fix</b>");
  await page.keyboard.press("Escape");
  await note.getByRole("heading", { name: "Triage" }).waitFor();
  expect(await note.locator("strong").textContent()).toBe("Bugs");
  expect(await note.getByRole("link", { name: "the tracker" }).getAttribute("target")).toBe("_blank");
  expect(await note.locator("li").count()).toBe(2);
  expect(await note.locator("b").count()).toBe(0);
  expect(await note.textContent()).toContain("<b>fix</b>");
  await screenshot("editor-07-rename-and-markdown-note");
  await page.keyboard.press("Control+s");
  await saved(7);
}
