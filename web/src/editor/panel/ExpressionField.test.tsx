import { startCompletion } from "@codemirror/autocomplete";
import { EditorView } from "@codemirror/view";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { fakeApi, type FakeApi } from "../../test/fakeApi";
import { editorText, renderPanel } from "./testHarness";

let server: FakeApi;
// jsdom has no layout: CodeMirror measures text ranges to place its completion list.
beforeAll(() => {
  const empty = () => ({ length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] }) as unknown as DOMRectList;
  Range.prototype.getClientRects ??= empty;
  Range.prototype.getBoundingClientRect ??= () => new DOMRect();
});
beforeEach(() => {
  server = fakeApi({
    "GET /api/expressions/functions": () => ({
      functions: [
        { name: "upper", kind: "filter", group: "text", signature: "value | upper", description: "Upper case", examples: [] },
        { name: "uuid", kind: "function", group: "misc", signature: "uuid()", description: "A random UUID", examples: [] },
      ],
    }),
    "POST /api/expressions/preview": () => ({ ok: true, value: "x", type: "string" }),
  });
});
afterEach(() => server.restore());

/** Put the text in the editor with the cursor at its end, then ask for completions. */
function complete(content: HTMLElement, text: string) {
  const view = EditorView.findFromDOM(content)!;
  act(() => {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: text.length } });
    view.focus();
    startCompletion(view);
  });
  return view;
}

describe("autocomplete in the expression editor", () => {
  it("offers the last run's keys and applies the chosen one", async () => {
    const user = userEvent.setup();
    renderPanel({ id: "h", type: "core.http_request", params: { url: "{{ json.id }}" } });
    const editor = screen.getByRole("textbox", { name: "URL (required)" });
    complete(editor, "{{ json.");
    const list = await screen.findByRole("listbox");
    expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual(["id7", 'title"Crash"']);
    // CodeMirror ignores Enter for a moment after the list opens (its interactionDelay).
    await act(() => new Promise((resolve) => setTimeout(resolve, 150)));
    await user.keyboard("{ArrowDown}{Enter}");
    expect(editorText(editor)).toBe("{{ json.title");
  });

  it("offers the library's filters after | (fetched from the server)", async () => {
    renderPanel({ id: "h", type: "core.http_request", params: { url: "{{ json.id }}" } });
    const editor = screen.getByRole("textbox", { name: "URL (required)" });
    await waitFor(() => expect(server.requests.some((r) => r.url.endsWith("/api/expressions/functions"))).toBe(true));
    await act(async () => undefined);
    complete(editor, "{{ json.title | ");
    const list = await screen.findByRole("listbox");
    expect(within(list).getByRole("option", { name: /upper/ })).toBeInTheDocument();
  });

  it("Escape closes the completions, not the panel", async () => {
    const user = userEvent.setup();
    const h = renderPanel({ id: "h", type: "core.http_request", params: { url: "{{ json.id }}" } });
    complete(screen.getByRole("textbox", { name: "URL (required)" }), "{{ json.");
    await screen.findByRole("listbox");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("listbox")).not.toBeInTheDocument();
    expect(h.onClose).not.toHaveBeenCalled();
    await user.keyboard("{Escape}");
    expect(h.onClose).toHaveBeenCalledTimes(1);
  });
});
