/** The editor's keyboard shortcuts and clipboard (copy/cut/paste events, so the browser's
 * menu works too, and snippets travel between tabs and applications). */
import { useEffect, useRef } from "react";

import { commandFor, isInsidePanel, isTyping, type Command } from "./shortcuts";

export interface KeyboardHandlers {
  run: (command: Command) => void;
  /** The selection as JSON text, or null when nothing is selected. */
  copy: () => string | null;
  /** Delete the selection (after a cut). */
  cut: () => void;
  paste: (text: string | null) => boolean;
  /** What was copied last in this page (if the browser gives no paste event). */
  lastCopied: () => string | null;
  /** Enter on a focused node: open its panel. */
  openNode: (id: string) => void;
  enabled: boolean;
}

const PANEL_COMMANDS = new Set<Command>(["save", "undo", "redo", "run"]);

function textSelected(): boolean {
  const s = window.getSelection();
  return !!s && !s.isCollapsed && s.toString().length > 0;
}

export function useKeyboard(handlers: KeyboardHandlers) {
  const latest = useRef(handlers);
  latest.current = handlers;

  useEffect(() => {
    let pasteSeen = false;
    const onKeyDown = (e: KeyboardEvent) => {
      const h = latest.current;
      const focusedNode = e.target instanceof HTMLElement ? e.target.closest<HTMLElement>(".react-flow__node-workflow") : null;
      if (e.key === "Enter" && focusedNode?.dataset.id && e.target === focusedNode && h.enabled) {
        h.openNode(focusedNode.dataset.id);
        return;
      }
      const command = commandFor(e);
      if (!command) return;
      if (command === "save") {
        e.preventDefault();
        if (h.enabled) h.run("save");
        return;
      }
      if (!h.enabled || e.defaultPrevented || isTyping(e.target) || document.querySelector('[aria-modal="true"]')) return;
      if (isInsidePanel(e.target) && !PANEL_COMMANDS.has(command)) return;
      if (command === "copy" || command === "cut") {
        // The copy/cut event does the work; this only remembers it for a paste without one.
        return;
      }
      if (command === "paste") {
        pasteSeen = false;
        setTimeout(() => {
          if (!pasteSeen) latest.current.paste(latest.current.lastCopied());
        }, 150);
        return;
      }
      e.preventDefault();
      h.run(command);
    };
    const ours = (e: ClipboardEvent) => latest.current.enabled && !isTyping(e.target) && !isInsidePanel(e.target) && !document.querySelector('[aria-modal="true"]');
    const onCopy = (e: ClipboardEvent) => {
      if (!ours(e) || textSelected()) return;
      const text = latest.current.copy();
      if (!text) return;
      e.clipboardData?.setData("text/plain", text);
      e.preventDefault();
      if (e.type === "cut") latest.current.cut();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (!ours(e)) return;
      pasteSeen = true;
      const text = e.clipboardData?.getData("text/plain") || latest.current.lastCopied();
      if (latest.current.paste(text)) e.preventDefault();
    };
    window.addEventListener("keydown", onKeyDown);
    document.addEventListener("copy", onCopy);
    document.addEventListener("cut", onCopy);
    document.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("cut", onCopy);
      document.removeEventListener("paste", onPaste);
    };
  }, []);
}
