import { fileURLToPath } from "node:url";

import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The build goes into the Python package, which serves it at / (src/wirework/api/ui.py).
const outDir = fileURLToPath(new URL("../src/wirework/web_dist", import.meta.url));
// `npm run dev` proxies the API to a server started with `make run`.
const api = process.env.WIREWORK_DEV_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: { outDir, emptyOutDir: true, sourcemap: false },
  server: { proxy: { "/api": api, "/webhook": api, "/docs": api, "/openapi.json": api } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          environment: "jsdom",
          include: ["src/**/*.test.{ts,tsx}"],
          setupFiles: ["src/test/setup.ts"],
          // Bounds, not expectations: CI machines are shared and slow.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["e2e/**/*.e2e.ts"],
          testTimeout: 240_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
