import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import axe from "axe-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { fakeApi, type FakeApi } from "../../test/fakeApi";
import { renderPanel } from "./testHarness";

let server: FakeApi;
beforeEach(() => {
  server = fakeApi({
    "GET /api/expressions/functions": () => ({ functions: [] }),
    "GET /api/integrations": () => [],
    "POST /api/expressions/preview": () => ({ ok: true, value: 1, type: "int" }),
  });
});
afterEach(() => server.restore());

async function violations() {
  // Colours need a layout engine (checked in the browser, not in jsdom).
  const result = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

describe("accessibility (axe)", () => {
  it("has no violations on any tab", async () => {
    const user = userEvent.setup();
    renderPanel(
      { id: "s", name: "Route", type: "core.switch", params: { rules: [{ output: "a", condition: "{{ json.a }}" }] } },
      {
        fieldErrors: { "params.rules[0].output": "bad", timeout_s: "too big" },
        runData: { status: "success", input: { main: [{ a: 1 }] }, output: { main: [{ a: 1 }] } },
      },
    );
    expect(await violations()).toEqual([]);
    await user.click(screen.getByRole("tab", { name: "Settings 1 error" }));
    await user.click(screen.getByLabelText("Retry on failure"));
    expect(await violations()).toEqual([]);
    await user.click(screen.getByRole("tab", { name: "Data" }));
    expect(await violations()).toEqual([]);
  });

  it("has no violations on a form with every kind of field", async () => {
    renderPanel({ id: "h", type: "core.http_request", params: { url: "https://a.test", headers: { A: "1" } } });
    expect(await violations()).toEqual([]);
  });
});
