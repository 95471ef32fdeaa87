/** A chat's session in this browser: its random id and the messages shown, in localStorage
 * (per workflow), so a reload continues the same conversation. */

export interface ChatLine {
  role: "user" | "assistant";
  content: string;
  error?: boolean;
}

const KEEP = 100; // messages kept per chat

function key(workflowId: string): string {
  return `wirework-chat:${workflowId}`;
}

export function newSessionId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface Stored {
  sessionId: string;
  lines: ChatLine[];
}

export function loadSession(workflowId: string): Stored {
  try {
    const raw = localStorage.getItem(key(workflowId));
    if (raw) {
      const parsed = JSON.parse(raw) as Partial<Stored>;
      if (typeof parsed.sessionId === "string" && /^[A-Za-z0-9_-]{8,128}$/.test(parsed.sessionId)) {
        return { sessionId: parsed.sessionId, lines: Array.isArray(parsed.lines) ? parsed.lines : [] };
      }
    }
  } catch {
    // storage unavailable or corrupt: start afresh
  }
  return { sessionId: newSessionId(), lines: [] };
}

export function saveSession(workflowId: string, stored: Stored): void {
  try {
    localStorage.setItem(key(workflowId), JSON.stringify({ ...stored, lines: stored.lines.slice(-KEEP) }));
  } catch {
    // storage full or unavailable: the chat still works, without surviving a reload
  }
}
