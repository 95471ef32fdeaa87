/**
 * The hosted chat page of a workflow with a chat trigger (`/chat/:id`): public chats need no
 * login, login chats use the browser's session. The reply's tokens show as they stream in;
 * the session id and the messages stay in this browser (localStorage). The chat widget
 * (`/chat/widget.js`) shows this page in a frame (`?embed=1`).
 */
import { useQuery } from "@tanstack/react-query";
import { Send, RotateCcw } from "lucide-react";
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link, useLocation, useParams } from "react-router";

import { loginPath } from "../auth/redirect";
import { Button, focusRing } from "../components/ui";
import { ChatUnavailable, fetchChatInfo, sendMessage } from "./chatApi";
import { loadSession, newSessionId, saveSession, type ChatLine } from "./session";

const HINT_TURNS = 20; // earlier messages sent along as history_hint

export function ChatPage() {
  const { id = "" } = useParams();
  const location = useLocation();
  const info = useQuery({
    queryKey: ["chat", id],
    queryFn: () => fetchChatInfo(id),
    retry: false,
  });
  const title = info.data?.title;
  useEffect(() => {
    if (title) document.title = title;
  }, [title]);

  if (info.isPending) {
    return <Centered>Loading…</Centered>;
  }
  if (info.isError) {
    const status = info.error instanceof ChatUnavailable ? info.error.status : 0;
    if (status === 401) {
      return (
        <Centered>
          <p>This chat is for signed-in users.</p>
          <Link className="text-indigo-600 underline dark:text-indigo-400" to={loginPath(location)}>
            Log in to chat
          </Link>
        </Centered>
      );
    }
    return <Centered>{status === 404 || status === 422 ? "This chat is not available." : "The chat could not be loaded."}</Centered>;
  }
  return <Conversation workflowId={id} title={info.data.title} welcome={info.data.welcome_message} />;
}

function Centered({ children }: { children: React.ReactNode }) {
  return (
    <main className="flex h-dvh flex-col items-center justify-center gap-2 bg-white p-6 text-sm text-zinc-600 dark:bg-zinc-950 dark:text-zinc-300">
      {children}
    </main>
  );
}

function Conversation({ workflowId, title, welcome }: { workflowId: string; title: string; welcome: string }) {
  const [stored] = useState(() => loadSession(workflowId));
  const [sessionId, setSessionId] = useState(stored.sessionId);
  const [lines, setLines] = useState<ChatLine[]>(stored.lines);
  const [draft, setDraft] = useState("");
  const [pending, setPending] = useState<string | null>(null); // the reply streaming in
  const busy = pending !== null;
  const abort = useRef<AbortController | null>(null);
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    saveSession(workflowId, { sessionId, lines });
  }, [workflowId, sessionId, lines]);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [lines, pending]);
  useEffect(() => () => abort.current?.abort(), []);

  async function send(event?: FormEvent) {
    event?.preventDefault();
    const message = draft.trim();
    if (!message || busy) return;
    const history = lines.filter((l) => !l.error).slice(-HINT_TURNS);
    setDraft("");
    setLines((l) => [...l, { role: "user", content: message }]);
    setPending("");
    const controller = new AbortController();
    abort.current = controller;
    let node = "";
    let final: ChatLine | null = null;
    try {
      await sendMessage(
        workflowId,
        {
          session_id: sessionId,
          message,
          ...(history.length ? { history_hint: history.map(({ role, content }) => ({ role, content })) } : {}),
        },
        (e) => {
          if (e.kind === "delta") {
            // A delta from another node (or sub-workflow step) than the last starts the text over.
            const fresh = e.source !== node;
            node = e.source;
            setPending((p) => (fresh ? e.text : (p ?? "") + e.text));
          } else if (e.kind === "message") {
            final = { role: "assistant", content: e.text };
          } else {
            final = { role: "assistant", content: e.message, error: true };
          }
        },
        controller.signal,
      );
    } catch (err) {
      if (controller.signal.aborted) return;
      final = { role: "assistant", content: err instanceof Error ? err.message : "the message could not be sent", error: true };
    }
    const line = final;
    setPending(null);
    if (line) setLines((l) => [...l, line]);
  }

  function onKey(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      void send();
    }
  }

  function restart() {
    abort.current?.abort();
    setPending(null);
    setLines([]);
    setSessionId(newSessionId());
  }

  return (
    <main className="flex h-dvh flex-col bg-white text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100">
      <header className="flex items-center justify-between border-b border-zinc-200 px-4 py-2 dark:border-zinc-800">
        <h1 className="truncate text-base font-semibold">{title}</h1>
        <Button variant="ghost" onClick={restart} aria-label="New conversation" title="New conversation">
          <RotateCcw size={16} aria-hidden />
        </Button>
      </header>
      <div role="log" aria-label="Messages" aria-live="polite" className="flex-1 overflow-y-auto px-4 py-4">
        <div className="mx-auto max-w-3xl space-y-3">
          {welcome && <Bubble line={{ role: "assistant", content: welcome }} />}
          {lines.map((line, i) => (
            <Bubble key={i} line={line} />
          ))}
          {pending !== null && (
            <Bubble line={{ role: "assistant", content: pending }} streaming />
          )}
          <div ref={end} />
        </div>
      </div>
      <form onSubmit={(e) => void send(e)} className="border-t border-zinc-200 p-3 dark:border-zinc-800">
        <div className="mx-auto flex max-w-3xl items-end gap-2">
          <label htmlFor="chat-input" className="sr-only">
            Message
          </label>
          <textarea
            id="chat-input"
            rows={1}
            value={draft}
            maxLength={16000}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKey}
            placeholder="Type a message…"
            className={`max-h-40 flex-1 resize-none rounded-md border border-zinc-300 bg-white px-3 py-2 text-sm dark:border-zinc-700 dark:bg-zinc-900 ${focusRing}`}
          />
          <Button type="submit" variant="primary" disabled={busy || !draft.trim()} aria-label="Send">
            <Send size={16} aria-hidden />
          </Button>
        </div>
      </form>
    </main>
  );
}

function Bubble({ line, streaming = false }: { line: ChatLine; streaming?: boolean }) {
  const mine = line.role === "user";
  const tone = line.error
    ? "bg-red-50 text-red-800 dark:bg-red-950 dark:text-red-200"
    : mine
      ? "bg-indigo-600 text-white"
      : "bg-zinc-100 text-zinc-900 dark:bg-zinc-800 dark:text-zinc-100";
  return (
    <div className={`flex ${mine ? "justify-end" : "justify-start"}`}>
      <div
        role={line.error ? "alert" : undefined}
        data-role={line.role}
        aria-busy={streaming || undefined}
        className={`max-w-[85%] whitespace-pre-wrap break-words rounded-2xl px-3 py-2 text-sm ${tone}`}
      >
        {line.content}
        {streaming && <span className="ml-0.5 inline-block animate-pulse">▍</span>}
      </div>
    </div>
  );
}
