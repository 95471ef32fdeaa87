/** The chat API (`/api/chat/{workflow_id}`): the chat's settings, and one message whose
 * reply streams back as server-sent events. */
import { CSRF_COOKIE, readCookie } from "../api/client";
import type { components } from "../api/schema";
import { readSse } from "../api/sse";

export type ChatInfo = components["schemas"]["ChatInfo"];
export type HintMessage = components["schemas"]["HintMessage"];

export type ChatStreamEvent =
  /** `source`: which step wrote it — the node, and for a sub-workflow the workflow awaits,
   * the child's execution and node too (a new source starts the text over). */
  | { kind: "delta"; nodeId: string; source: string; text: string }
  | { kind: "message"; executionId: string; text: string }
  | { kind: "error"; message: string };

export class ChatUnavailable extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

function chatUrl(workflowId: string, rest = ""): string {
  return `${window.location.origin}/api/chat/${encodeURIComponent(workflowId)}${rest}`;
}

async function errorOf(response: Response): Promise<ChatUnavailable> {
  let detail = `the chat answered ${response.status}`;
  try {
    const body = (await response.json()) as { detail?: unknown };
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // not JSON: keep the status
  }
  return new ChatUnavailable(response.status, detail);
}

export async function fetchChatInfo(workflowId: string): Promise<ChatInfo> {
  const response = await globalThis.fetch(chatUrl(workflowId), {
    credentials: "same-origin",
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as ChatInfo;
}

/** Send one message; `onEvent` gets each delta, then the reply (or an error). */
export async function sendMessage(
  workflowId: string,
  body: { session_id: string; message: string; history_hint?: HintMessage[] },
  onEvent: (event: ChatStreamEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const csrf = readCookie(CSRF_COOKIE);
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const response = await globalThis.fetch(chatUrl(workflowId, "/messages"), {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    credentials: "same-origin",
    signal: signal ?? null,
  });
  if (!response.ok || !response.body) throw await errorOf(response);
  let ended = false;
  for await (const event of readSse(response.body)) {
    const data = JSON.parse(event.data) as Record<string, unknown>;
    if (event.event === "delta") {
      const nodeId = String(data.node_id ?? "");
      const child = data.child_execution_id == null ? "" : `${String(data.child_execution_id)}/${String(data.child_node_id ?? "")}`;
      onEvent({ kind: "delta", nodeId, source: child ? `${nodeId}>${child}` : nodeId, text: String(data.text ?? "") });
    } else if (event.event === "message") {
      ended = true;
      onEvent({ kind: "message", executionId: String(data.execution_id ?? ""), text: String(data.text ?? "") });
    } else if (event.event === "error") {
      ended = true;
      onEvent({ kind: "error", message: String(data.message ?? "the chat could not answer") });
    }
  }
  if (!ended) onEvent({ kind: "error", message: "the connection ended before the answer" });
}
