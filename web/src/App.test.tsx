import { screen } from "@testing-library/react";
import { isValidElement, Suspense, type ReactElement } from "react";
import type { RouteObject } from "react-router";
import { afterEach, describe, expect, it } from "vitest";

import { preloadRoute, routes } from "./App";
import { fakeApi, type FakeApi } from "./test/fakeApi";
import { renderApp } from "./test/render";

function pages(list: RouteObject[]): [string, ReactElement][] {
  return list.flatMap((r) => [
    ...(r.path && r.element && isValidElement(r.element) ? [[r.path, r.element] as [string, ReactElement]] : []),
    ...pages(r.children ?? []),
  ]);
}

let server: FakeApi | undefined;
afterEach(() => server?.restore());

describe("routes", () => {
  it("load every page but log-in, set-up and not-found lazily, inside a Suspense", () => {
    const lazy = pages(routes)
      .filter(([, el]) => el.type === Suspense && ((el.props as { children: ReactElement }).children.type as { name?: string }).name === "Page")
      .map(([path]) => path)
      .sort();
    expect(lazy).toEqual(["/chat/:id", "ai/costs", "approvals", "dashboard", "executions", "executions/:id", "integration-types", "integrations", "prompt-templates", "settings", "workflows", "workflows/:id"]);
  });

  it("preload the page being opened (unknown paths do nothing)", () => {
    expect(() => {
      preloadRoute("/workflows/5");
      preloadRoute("/executions");
      preloadRoute("/");
      preloadRoute("/nowhere/at/all");
    }).not.toThrow();
  });

  it("show a page once its code has arrived", async () => {
    const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };
    server = fakeApi({
      "GET /api/setup": () => ({ needs_setup: false }),
      "GET /api/auth/session": () => ({ user: owner }),
      "GET /api/workflows": () => ({ items: [], total: 0, limit: 200, offset: 0 }),
      "GET /api/workflows/tags": () => [],
    });
    renderApp("/workflows");
    expect(await screen.findByRole("heading", { name: "Workflows" }, { timeout: 5000 })).toBeInTheDocument();
  });
});
