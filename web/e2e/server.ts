/** A real `wirework server` for end-to-end tests: a free 127.0.0.1 port, a fresh data dir. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const UI_DIR = join(ROOT, "src/wirework/web_dist");

export interface RunningServer {
  url: string;
  stop: () => Promise<void>;
  output: () => string;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? ok(address.port) : fail(new Error("no port"))));
    });
  });
}

/** Poll until ``check`` is true; give up (with ``what`` in the error) after ``timeoutMs``, or at
 * once when ``fatal`` returns a reason. A check that throws counts as "not yet". */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  fatal: () => string | null = () => null,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    const reason = fatal();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** ``env``: extra environment for the server (e.g. WIREWORK_OUTBOUND_ALLOW for a test's own
 * local HTTP servers). */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  if (!existsSync(join(UI_DIR, "index.html"))) {
    throw new Error(`the UI is not built (${UI_DIR}): run 'npm run build' first`);
  }
  const python = process.env.WIREWORK_PYTHON ?? join(ROOT, ".venv/bin/python");
  if (!existsSync(python)) {
    throw new Error(`no Python at ${python}: run 'make install' or set WIREWORK_PYTHON`);
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "wirework-e2e-"));
  let log = "";
  const child: ChildProcess = spawn(
    python,
    ["-m", "wirework.cli.main", "server", "--host", "127.0.0.1", "--port", String(port)],
    {
      cwd: dataDir,
      env: {
        ...process.env,
        PYTHONPATH: join(ROOT, "src"),
        WIREWORK_DATA_DIR: join(dataDir, "data"),
        WIREWORK_UI_DIR: UI_DIR,
        WIREWORK_LOG_LEVEL: "warning",
        WIREWORK_DATABASE_URL: "",
        WIREWORK_BROKER_URL: "",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let failed = "";
  child.on("error", (e) => (failed = `could not start ${python}: ${e.message}`));
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((ok) => {
    child.once("exit", () => ok());
    child.once("error", () => ok());
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
    }
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "the server to answer /api/health",
      async () => (await fetch(`${url}/api/health`)).ok,
      90_000,
      () => failed || (child.exitCode !== null ? `the server exited (${child.exitCode})` : null),
    );
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${log}`);
  }
  return { url, stop, output: () => log };
}
