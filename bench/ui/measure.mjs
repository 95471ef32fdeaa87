// Drives Debian's Chromium (playwright-core from web/node_modules) against a server that
// bench/ui_editor.py started and filled; prints one JSON line of figures at the end.
import { createRequire } from "node:module";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const require = createRequire(resolve(import.meta.dirname, "../../web/package.json"));
const { chromium } = require("playwright-core");

const BASE = process.env.BENCH_URL;
const IDS = JSON.parse(process.env.BENCH_IDS);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs, unit = "ms") => `${median(xs).toFixed(0)} ${unit} median (runs: ${xs.map((x) => x.toFixed(0)).join(", ")})`;

/** Time from navigation start until ``ready`` holds in the page, in ms (page clock). */
async function openAndWait(page, path, ready, arg) {
  await page.goto("about:blank");
  await page.goto(path, { waitUntil: "commit" });
  await page.waitForFunction(ready, arg, { timeout: 60_000, polling: "raf" });
  return page.evaluate(() => performance.now());
}

/** Frames per second while ``act`` moves the mouse (counted with requestAnimationFrame). */
async function fps(page, act) {
  await page.evaluate(() => {
    window.__frames = [];
    window.__counting = true;
    const tick = (t) => {
      window.__frames.push(t);
      if (window.__counting) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await act();
  const frames = await page.evaluate(() => {
    window.__counting = false;
    return window.__frames;
  });
  const spans = frames.slice(1).map((t, i) => t - frames[i]);
  const seconds = (frames.at(-1) - frames[0]) / 1000;
  const sorted = [...spans].sort((a, b) => a - b);
  return { fps: (frames.length - 1) / seconds, p95: sorted[Math.floor(sorted.length * 0.95)] ?? 0 };
}

async function dragFrom(page, x, y, dx, dy, steps = 90) {
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(x + (dx * i) / steps, y + (dy * i) / steps);
    await page.waitForTimeout(16);
  }
  await page.mouse.up();
}

const profile = mkdtempSync(join(tmpdir(), "wirework-bench-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: ARGS,
  baseURL: BASE,
  viewport: { width: 1440, height: 900 },
});
const lines = [];
const figures = {};
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const login = await context.request.post("/api/auth/session", {
    data: { email: process.env.BENCH_EMAIL, password: process.env.BENCH_PASSWORD },
  });
  if (!login.ok()) throw new Error(`log-in failed: ${login.status()}`);

  const guard = async (label, fn) => {
    try {
      await fn();
    } catch (e) {
      lines.push([label, `not measured: ${String(e.message ?? e).split("\n")[0]}`]);
    }
  };
  await guard("open editor, 500 nodes", async () => {
  // 1. Open the editor on the 500-node workflow until its nodes are drawn.
  const open = [];
  for (let i = 0; i < RUNS; i++) {
    open.push(
      await openAndWait(page, `/workflows/${IDS.workflow_id}`, () =>
        document.querySelectorAll(".react-flow__node").length >= 20,
      ),
    );
  }
  figures.editor_open_ms = median(open);
  lines.push(["open editor, 500 nodes", `${fmt(open)} (target ≤ 1000 ms)`]);

  // 2. Drag a node, then pan the canvas: frames per second.
  const node = page.locator(".react-flow__node").nth(5);
  const box = await node.boundingBox();
  const drag = await fps(page, () => dragFrom(page, box.x + box.width / 2, box.y + box.height / 2, 300, 150));
  const pane = await page.locator(".react-flow__pane").boundingBox();
  const pan = await fps(page, () => dragFrom(page, pane.x + pane.width - 40, pane.y + pane.height - 40, -500, -300));
  figures.drag_fps = drag.fps;
  figures.pan_fps = pan.fps;
  lines.push(["drag a node (500 nodes)", `${drag.fps.toFixed(1)} fps, p95 frame ${drag.p95.toFixed(1)} ms (target ≥ 50 fps)`]);
  lines.push(["pan the canvas (500 nodes)", `${pan.fps.toFixed(1)} fps, p95 frame ${pan.p95.toFixed(1)} ms (target ≥ 50 fps)`]);

  });
  await guard("show a 10,000-item output", async () => {
  // 3. A node output of 10,000 items: from the click to its rows on screen.
  const show = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto(`/executions/${IDS.execution_id}`);
    const target = page.getByRole("button", { name: /pass/ }).first();
    await target.waitFor();
    const t0 = await page.evaluate(() => performance.now());
    await target.click();
    await page.waitForFunction(() => document.body.innerText.includes("user9@example.com"), null, {
      polling: "raf",
      timeout: 60_000,
    });
    show.push((await page.evaluate(() => performance.now())) - t0);
  }
  figures.output_10k_ms = median(show);
  lines.push(["show a 10,000-item output", `${fmt(show)} (target ≤ 300 ms)`]);

  });
  await guard("executions page, 1M stored", async () => {
  // 4. The executions page's first page with 1,000,000 stored.
  const list = [];
  for (let i = 0; i < RUNS; i++) {
    list.push(
      await openAndWait(page, "/executions", () => document.querySelectorAll("table tbody tr").length >= 10),
    );
  }
  figures.executions_first_page_ms = median(list);
  lines.push(["executions page, 1M stored", `${fmt(list)} from navigation start (target ≤ 300 ms)`]);
  });
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(JSON.stringify({ ...figures, lines }));
