/**
 * The Prompt templates page against a real server in a real browser: create a template,
 * edit it (version 2, version 1 still readable), and preview it — rendered by the server's
 * expression sandbox, and a broken expression shown under its message. Any console error,
 * failed request or HTTP error (but the preview's expected 422) fails the run.
 */
import { afterAll, beforeAll, expect, it } from "vitest";

import { SCREENSHOTS, openBrowser, type Browser } from "./browser";
import { createOwner } from "./helpers";
import { startServer, type RunningServer } from "./server";

const OWNER = { email: "tess@example.com", password: "templates password 1" };

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

it("creates a template, saves version 2 and previews it", async () => {
  const { page } = browser;
  try {
    await page.goto("/setup");
    await createOwner(page, "Tess", OWNER);

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Prompt templates" }).click();
    await page.getByRole("button", { name: "New template" }).click();
    await page.getByLabel("Name").fill("support-reply");
    await page.getByLabel("Content of message 2").fill("Customer asks: {{ question | upper }}");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByRole("option", { name: /Version 1 \(latest\)/ }).waitFor({ state: "attached" });

    // Edit: version 2.
    await page.getByLabel("Content of message 1").fill("You answer for {{ product }}.");
    await page.getByLabel("Variables and sample values (JSON)").fill('{"question": "refund?", "product": "Wirework"}');
    await page.getByRole("button", { name: "Save as version 2" }).click();
    await page.getByRole("option", { name: /Version 2 \(latest\)/ }).waitFor({ state: "attached" });
    expect(await page.getByLabel("Version").locator("option").count()).toBe(2);

    // Preview through the server.
    await page.getByRole("button", { name: "Preview" }).click();
    const rendered = page.getByRole("list", { name: "Rendered messages" });
    await rendered.getByText("You answer for Wirework.").waitFor();
    await rendered.getByText("Customer asks: REFUND?").waitFor();
    await browser.screenshot("templates-preview");

    // Version 1 stays readable.
    await page.getByLabel("Version").selectOption("1");
    await page.getByText("Showing version 1. Saving it makes it version 3.").waitFor();
    expect(await page.getByLabel("Content of message 1").inputValue()).toBe("You are a helpful assistant.");
  } catch (error) {
    await browser.screenshot("templates-failure").catch(() => undefined);
    throw new Error(`${String(error)}\nproblems: ${browser.problems.join("\n")}\nserver: ${server.output()}`);
  }
  expect(browser.problems).toEqual([]);
});
