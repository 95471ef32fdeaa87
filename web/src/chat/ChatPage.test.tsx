import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { fakeApi, json, type FakeApi } from "../test/fakeApi";
import { renderApp } from "../test/render";
import { ChatSection } from "./ChatSection";

let server: FakeApi | undefined;
beforeEach(() => localStorage.clear());
afterEach(() => server?.restore());

const info = { title: "Ask Wirework", welcome_message: "Hi! Ask me anything.", access: "public" };

/** A response body the test writes to piece by piece, as a server streams. */
function controlledStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: new Response(body, { headers: { "content-type": "text/event-stream" } }),
    send: (event: string, data: unknown) =>
      controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
    close: () => controller.close(),
  };
}

describe("the chat page", () => {
  it("shows the welcome, streams the reply's tokens, then the whole reply", async () => {
    const stream = controlledStream();
    server = fakeApi({
      "GET /api/chat/7": () => info,
      "POST /api/chat/7/messages": () => stream.response,
    });
    renderApp("/chat/7");
    await screen.findByRole("heading", { name: "Ask Wirework" });
    expect(screen.getByRole("log", { name: "Messages" })).toHaveTextContent("Hi! Ask me anything.");

    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Message"), "What is Wirework?");
    await user.click(screen.getByRole("button", { name: "Send" }));
    const log = screen.getByRole("log", { name: "Messages" });
    await waitFor(() => expect(log).toHaveTextContent("What is Wirework?"));

    stream.send("delta", { node_id: "answer", text: "Hello" });
    await waitFor(() => expect(log).toHaveTextContent("Hello"));
    stream.send("delta", { node_id: "answer", text: ", world" });
    await waitFor(() => expect(log).toHaveTextContent("Hello, world"));
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();

    stream.send("message", { execution_id: "e1", text: "Hello, world!" });
    stream.close();
    await waitFor(() => expect(screen.queryByText("▍")).not.toBeInTheDocument());
    expect(log).toHaveTextContent("Hello, world!");

    const sent = server.requests.find((r) => r.method === "POST");
    const body = (await sent!.json()) as { session_id: string; message: string };
    expect(body.message).toBe("What is Wirework?");
    expect(body.session_id).toMatch(/^[0-9a-f]{32}$/);
    // The session survives a reload: same id, same messages.
    const saved = JSON.parse(localStorage.getItem("wirework-chat:7") ?? "{}") as { sessionId: string; lines: unknown[] };
    expect(saved.sessionId).toBe(body.session_id);
    expect(saved.lines).toHaveLength(2);
  });

  it("starts the text over for another step of a sub-workflow", async () => {
    const stream = controlledStream();
    server = fakeApi({
      "GET /api/chat/7": () => info,
      "POST /api/chat/7/messages": () => stream.response,
    });
    renderApp("/chat/7");
    await screen.findByRole("heading", { name: "Ask Wirework" });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Message"), "Plan my trip");
    await user.click(screen.getByRole("button", { name: "Send" }));
    const log = screen.getByRole("log", { name: "Messages" });

    const child = { node_id: "plan", child_execution_id: "c1" };
    stream.send("delta", { ...child, child_node_id: "draft", text: "Draft: " });
    stream.send("delta", { ...child, child_node_id: "draft", text: "go north" });
    await waitFor(() => expect(log).toHaveTextContent("Draft: go north"));
    // Same calling node, another node of the child: its text replaces the draft's.
    stream.send("delta", { ...child, child_node_id: "final", text: "Go to Oslo" });
    await waitFor(() => expect(log).toHaveTextContent("Go to Oslo"));
    expect(log).not.toHaveTextContent("Draft");

    stream.send("message", { execution_id: "e1", text: "Go to Oslo." });
    stream.close();
    await waitFor(() => expect(log).toHaveTextContent("Go to Oslo."));
  });

  it("shows an error event as an alert", async () => {
    server = fakeApi({
      "GET /api/chat/7": () => info,
      "POST /api/chat/7/messages": () =>
        new Response('event: error\ndata: {"execution_id": "e2", "message": "the model refuses"}\n\n', {
          headers: { "content-type": "text/event-stream" },
        }),
    });
    renderApp("/chat/7");
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Message"), "hi{Enter}");
    expect(await screen.findByRole("alert")).toHaveTextContent("the model refuses");
  });

  it("says when there is no chat, and asks to log in for a login chat", async () => {
    server = fakeApi({
      "GET /api/chat/8": () => json({ detail: "chat not found", code: "not_found", errors: [] }, 404),
      "GET /api/chat/9": () => json({ detail: "missing", code: "unauthorized", errors: [] }, 401),
    });
    const view = renderApp("/chat/8");
    expect(await screen.findByText("This chat is not available.")).toBeInTheDocument();
    view.unmount();
    renderApp("/chat/9");
    const link = await screen.findByRole("link", { name: "Log in to chat" });
    expect(link).toHaveAttribute("href", "/login?next=%2Fchat%2F9");
  });
});

describe("the chat trigger's panel section", () => {
  it("links the hosted page and shows the widget line", () => {
    render(<ChatSection workflowId={12} />);
    const origin = window.location.origin;
    expect(screen.getByRole("link", { name: "Open chat" })).toHaveAttribute("href", `${origin}/chat/12`);
    expect(screen.getByLabelText("Widget snippet")).toHaveTextContent(
      `<script src="${origin}/chat/widget.js" data-workflow="12"></script>`,
    );
  });
});
