/** Debian's Chromium driven by playwright-core: nothing is downloaded, nothing phones home. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { chromium, type BrowserContext, type Page } from "playwright-core";

export const SCREENSHOTS = resolve(import.meta.dirname, "../test-results/screenshots");
const EXECUTABLE = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** axe-core's source, run in the page by CDP evaluation (the page's CSP forbids inline scripts). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const AXE_FAILING = new Set(["serious", "critical"]);

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** Serious and critical accessibility violations on the page as it is now (axe-core, WCAG 2.x A/AA). */
export async function accessibilityProblems(page: Page, where: string): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return result.violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact !== null && AXE_FAILING.has(v.impact))
    .map((v) => `accessibility (${where}): ${v.id} [${v.impact}] ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors, failed requests and HTTP errors seen so far. */
  problems: string[];
  screenshot: (name: string) => Promise<void>;
  close: () => Promise<void>;
}

export async function openBrowser(baseURL: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "wirework-chromium-"));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ARGS,
    baseURL,
    acceptDownloads: true,
    viewport: { width: 1280, height: 800 },
    colorScheme: "light",
  });
  const problems: string[] = [];
  context.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  context.on("weberror", (e) => problems.push(`page error: ${e.error().message}`));
  context.on("requestfailed", (req) => {
    const reason = req.failure()?.errorText ?? "";
    // A navigation or an unmounted query cancels what is in flight: not a failure.
    if (reason === "net::ERR_ABORTED") return;
    problems.push(`request failed: ${req.method()} ${req.url()} ${reason}`);
  });
  context.on("response", (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    problems,
    // Every page photographed is also checked for accessibility: a serious or critical axe-core
    // violation becomes a problem, which fails the test like a console error does.
    screenshot: async (name) => {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      if (!name.includes("failure")) problems.push(...(await accessibilityProblems(page, name)));
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
