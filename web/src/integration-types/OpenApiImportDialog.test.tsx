import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";
import { countOperations } from "./OpenApiImportDialog";

const owner = { id: 1, email: "me@example.com", name: "Me", role: "owner", is_active: true, created_at: "2026-11-01T00:00:00Z" };
const imported = {
  id: 9,
  name: "pets",
  key: "pets",
  display_name: "Pet Store",
  description: "",
  parameters: [],
  actions: [
    { name: "list_pets", display_name: "", description: "", parameters: [], request: { method: "GET", path: "/pets" } },
  ],
  builtin: false,
  has_tester: false,
  http: { base_url: "https://pets.example", auth: { kind: "bearer", field: "token" } },
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
};
const spec = { openapi: "3.0.3", info: { title: "Pet Store" }, paths: { "/pets": { get: {}, post: {} } } };

let server: FakeApi | undefined;
afterEach(() => server?.restore());

function start(answer: (r: Request) => unknown = () => json(imported, 201)) {
  let types: unknown[] = [];
  server = fakeApi({
    "GET /api/setup": () => ({ needs_setup: false }),
    "GET /api/auth/session": () => ({ user: owner }),
    "GET /api/integration-types": () => types,
    "POST /api/integration-types/import-openapi": async (r) => {
      const out = await answer(r);
      if (out instanceof Response && out.status === 201) types = [imported];
      return out;
    },
  });
  renderApp("/integration-types");
}

async function openDialog() {
  await userEvent.click(await screen.findByRole("button", { name: "Import OpenAPI" }));
  return screen.getByRole("dialog", { name: "Import from OpenAPI 3" });
}

describe("OpenAPI import", () => {
  it("counts a JSON description's operations", () => {
    expect(countOperations(JSON.stringify(spec))).toBe(2);
    expect(countOperations("openapi: 3.0.3")).toBeNull();
  });

  it("imports pasted text, shows the result with a warning for operations left out, and opens the type", async () => {
    start();
    const dialog = await openDialog();
    const tabs = within(dialog).getAllByRole("tab");
    expect(tabs.map((t) => t.textContent)).toEqual(["Upload a file", "Paste JSON or YAML", "From a URL"]);
    expect(within(dialog).getByRole("tab", { name: "Paste JSON or YAML" })).toHaveAttribute("aria-selected", "true");
    await userEvent.click(within(dialog).getByLabelText("OpenAPI description (JSON or YAML)"));
    await userEvent.paste(JSON.stringify(spec));
    await userEvent.click(within(dialog).getByText("Options: key, name, base URL"));
    await userEvent.type(within(dialog).getByLabelText("Key (optional)"), "pets");
    await userEvent.click(within(dialog).getByRole("button", { name: "Import" }));
    const result = await within(dialog).findByRole("status");
    expect(result).toHaveTextContent("Imported “Pet Store”");
    expect(result).toHaveTextContent("Bearer token");
    expect(result).toHaveTextContent("the description declares 2 operations; 1 of them did not become actions");
    const sent = server!.requests.find((r) => r.method === "POST")!;
    expect(new URL(sent.url).searchParams.get("key")).toBe("pets");
    expect(await sent.clone().json()).toEqual({ spec: JSON.stringify(spec) });
    await userEvent.click(within(dialog).getByRole("button", { name: "Open “Pet Store”" }));
    expect(await screen.findByRole("form", { name: "Edit “Pet Store”" })).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("sends a file as multipart; arrow keys move between the tabs", async () => {
    start();
    const dialog = await openDialog();
    const paste = within(dialog).getByRole("tab", { name: "Paste JSON or YAML" });
    paste.focus();
    await userEvent.keyboard("{ArrowLeft}");
    expect(within(dialog).getByRole("tab", { name: "Upload a file" })).toHaveFocus();
    const file = new File(["openapi: 3.0.3\n"], "pets.yaml", { type: "application/yaml" });
    await userEvent.upload(within(dialog).getByLabelText("OpenAPI file (JSON or YAML)"), file);
    await userEvent.click(within(dialog).getByRole("button", { name: "Import" }));
    await within(dialog).findByRole("status");
    const sent = server!.requests.find((r) => r.method === "POST")!;
    expect(sent.headers.get("content-type")).toMatch(/^multipart\/form-data/);
    // (jsdom's File does not survive undici's FormData; the e2e test uploads a real one.)
    expect((await sent.clone().formData()).has("file")).toBe(true);
  });

  it("sends a URL as JSON and shows the server's 422 on the URL field", async () => {
    start(() => json({ detail: "url: not allowed", code: "validation_error", errors: [{ field: "url", message: "is a private address" }] }, 422));
    const dialog = await openDialog();
    await userEvent.click(within(dialog).getByRole("tab", { name: "From a URL" }));
    await userEvent.type(within(dialog).getByLabelText("URL of the description"), "http://10.0.0.1/openapi.json");
    await userEvent.click(within(dialog).getByRole("button", { name: "Import" }));
    await waitFor(() => expect(within(dialog).getByLabelText("URL of the description")).toHaveAttribute("aria-invalid", "true"));
    expect(within(dialog).getByText("is a private address")).toBeInTheDocument();
    const sent = server!.requests.find((r) => r.method === "POST")!;
    expect(await sent.clone().json()).toEqual({ url: "http://10.0.0.1/openapi.json" });
  });
});
