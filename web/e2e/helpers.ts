/**
 * What the end-to-end tests share: the set-up form that creates the owner, JSON calls to the
 * API as the signed-in user, and the small pieces of the local servers they start.
 */
import type { IncomingMessage, Server } from "node:http";

import { expect } from "vitest";

import type { Browser } from "./browser";

export interface Owner {
  email: string;
  password: string;
}

type Page = Browser["page"];

/** On the set-up form: create the owner (signed in after) and wait for the workflow list. */
export async function createOwner(page: Page, name: string, owner: Owner): Promise<void> {
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("E-mail").fill(owner.email);
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Create owner" }).click();
  await page.getByRole("heading", { name: "Workflows", level: 1 }).waitFor();
}

/** A JSON call to the API as the browser's signed-in user (with its CSRF token); any answer
 * from 300 up fails the test, naming the path and the body. */
export async function send<T>(browser: Browser, method: "post" | "put", path: string, data: unknown): Promise<T> {
  const csrf = (await browser.context.cookies()).find((c) => c.name === "wirework_csrf")?.value ?? "";
  const resp = await browser.page.request[method](path, { data, headers: { "X-CSRF-Token": csrf } });
  const text = await resp.text();
  expect(resp.status(), `${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as T;
}

/** A local server's request body, whole. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let text = "";
    req.on("data", (d: Buffer) => (text += d.toString()));
    req.on("end", () => ok(text));
  });
}

/** The port a local server listens on. */
export function portOf(server: Server): number {
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

// --- the editor ---------------------------------------------------------------------------

/** A node on the editor's canvas. */
export function canvasNode(page: Page, id: string) {
  return page.locator(`.react-flow__node[data-id="${id}"]`);
}

/** Open a node's panel (a click on its name); the panel. */
export async function openNode(page: Page, id: string, name: string) {
  await canvasNode(page, id).locator('[data-testid="node-name"]').click();
  const panel = page.getByRole("complementary", { name: `Node ${name}` });
  await panel.waitFor();
  return panel;
}

export async function closeNodePanel(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Close the node panel" }).click();
}

/** Wait until the editor says the workflow is saved as `version`. */
export async function savedAs(page: Page, version: number): Promise<void> {
  await page.getByRole("status").filter({ hasText: `Saved · version ${version}` }).waitFor();
}
