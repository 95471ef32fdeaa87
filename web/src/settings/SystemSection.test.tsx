import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";
import { ago } from "./systemApi";

const person = (role: string) => ({
  id: 1,
  email: "me@example.com",
  name: "Me",
  role,
  is_active: true,
  created_at: "2026-11-01T00:00:00Z",
});

const worker = (id: string, kind: string, alive: boolean, extra: Record<string, unknown> = {}) => ({
  id,
  kind,
  hostname: id.split(":")[0],
  pid: Number(id.split(":")[1]),
  version: "0.1.0",
  concurrency: 0,
  running: 0,
  started_at: "2026-12-01T08:00:00Z",
  last_heartbeat_at: "2026-12-01T09:00:00Z",
  seconds_since_heartbeat: alive ? 4 : 185,
  alive,
  details: {},
  ...extra,
});

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function start(role: string, queue: Record<string, unknown>) {
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: person(role) }),
    "GET /api/api-keys": () => [],
    "GET /api/users": () => [person(role)],
    "GET /api/system/workers": () => ({
      stale_after_s: 30,
      alive: 2,
      stale: 1,
      workers: [
        worker("node-a:11:aa", "worker", true, { concurrency: 8, running: 3 }),
        worker("web-1:7:bb", "server", true, { running: 2 }),
        worker("node-b:12:cc", "scheduler", false),
      ],
    }),
    "GET /api/system/queue": () => queue,
  });
  return renderApp("/settings");
}

const distributed = {
  mode: "distributed",
  executions: { queued: 4, running: 2, waiting: 1 },
  running_steps: 3,
  reported_running: 5,
  broker: { transport: "redis", queue: "wirework", messages: 17, error: null },
};

describe("System card", () => {
  it("formats a heartbeat's age", () => {
    expect(ago(4.2)).toBe("4 s ago");
    expect(ago(185)).toBe("3 min ago");
    expect(ago(7200)).toBe("2 h ago");
  });

  it("lists the processes with their status and the queue depth", async () => {
    start("owner", distributed);
    const card = (await screen.findByRole("heading", { name: "System" })).closest("section")!;
    const table = await within(card as HTMLElement).findByRole("table", { name: "Processes" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows.map((r) => within(r).getAllByRole("cell").map((c) => c.textContent))).toEqual([
      ["node-apid 11 · v0.1.0", "worker", "alive", "3 / 8", "4 s ago", expect.any(String)],
      ["web-1pid 7 · v0.1.0", "server", "alive", "2", "4 s ago", expect.any(String)],
      ["node-bpid 12 · v0.1.0", "scheduler", "stale", "0", "3 min ago", expect.any(String)],
    ]);
    const figures = within(card as HTMLElement).getAllByRole("definition").map((d) => d.textContent);
    expect(figures).toEqual(["4", "2", "1", "5", "17"]);
    expect(card).toHaveTextContent(/Mode distributed · redis queue wirework/);
  });

  it("says when the broker cannot be asked", async () => {
    start("admin", {
      ...distributed,
      broker: { transport: "amqp", queue: "wirework", messages: null, error: "amqp broker: refused" },
    });
    expect(await screen.findByText("amqp broker: refused")).toBeInTheDocument();
    expect(await screen.findByText("unknown")).toBeInTheDocument();
  });

  it("is not shown to editors", async () => {
    start("editor", distributed);
    await screen.findByRole("heading", { name: "Profile" });
    expect(screen.queryByRole("heading", { name: "System" })).not.toBeInTheDocument();
    expect(server!.requests.some((r) => new URL(r.url).pathname.startsWith("/api/system"))).toBe(false);
  });
});
