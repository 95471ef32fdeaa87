/**
 * The editor's keyboard shortcuts: which command a key press means, and whether the user is
 * typing (in an input, a text area, a select or CodeMirror), when only saving works.
 */
export type Command =
  | "save"
  | "undo"
  | "redo"
  | "copy"
  | "paste"
  | "cut"
  | "delete"
  | "selectAll"
  | "tidy"
  | "help"
  | "palette"
  | "fit"
  | "run"
  | "escape"
  | "open";

export interface Shortcut {
  command: Command;
  keys: string;
  what: string;
}

/** For the help dialog (Ctrl is ⌘ on a Mac). */
export const SHORTCUTS: Shortcut[] = [
  { command: "save", keys: "Ctrl+S", what: "Save (a new version)" },
  { command: "undo", keys: "Ctrl+Z", what: "Undo" },
  { command: "redo", keys: "Ctrl+Shift+Z or Ctrl+Y", what: "Redo" },
  { command: "copy", keys: "Ctrl+C", what: "Copy the selected nodes (as workflow JSON)" },
  { command: "cut", keys: "Ctrl+X", what: "Cut the selected nodes" },
  { command: "paste", keys: "Ctrl+V", what: "Paste nodes (from this or another workflow, or JSON from a text editor)" },
  { command: "delete", keys: "Delete or Backspace", what: "Delete the selected nodes, notes and connections" },
  { command: "selectAll", keys: "Ctrl+A", what: "Select everything" },
  { command: "tidy", keys: "Shift+Alt+F", what: "Tidy up (lay the nodes out left to right)" },
  { command: "fit", keys: "Shift+1", what: "Zoom to fit" },
  { command: "palette", keys: "N", what: "Open the node palette" },
  { command: "run", keys: "Ctrl+Enter", what: "Run the workflow" },
  { command: "help", keys: "?", what: "Show these shortcuts" },
  { command: "escape", keys: "Escape", what: "Close the panel or palette, clear the selection" },
  { command: "open", keys: "Enter", what: "Open the focused node's panel (a focused note: write in it)" },
];

/** Keys of the canvas itself (focus, select, move), listed in the help dialog. */
export const CANVAS_KEYS: { keys: string; what: string }[] = [
  { keys: "Tab / Shift+Tab", what: "Move the focus from node to node (and to the notes and the canvas controls)" },
  { keys: "Space", what: "Select the focused node" },
  { keys: "Arrow keys", what: "Move the selected nodes (5 px; with Shift, 20 px); one undo step per burst of moves" },
  { keys: "Enter", what: "Open the focused node's panel; Escape closes it and gives the focus back to the node" },
];

export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** The command a key press means, or null. */
export function commandFor(e: KeyLike): Command | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && !e.altKey) {
    if (key === "s") return "save";
    if (key === "z") return e.shiftKey ? "redo" : "undo";
    if (key === "y") return "redo";
    if (key === "c" && !e.shiftKey) return "copy";
    if (key === "x" && !e.shiftKey) return "cut";
    if (key === "v" && !e.shiftKey) return "paste";
    if (key === "a" && !e.shiftKey) return "selectAll";
    if (key === "Enter") return "run";
    return null;
  }
  if (e.shiftKey && e.altKey && !mod && (e.code === "KeyF" || key === "f")) return "tidy";
  if (mod || e.altKey) return null;
  if (key === "Delete" || key === "Backspace") return "delete";
  if (e.key === "?") return "help";
  if (e.shiftKey && (e.code === "Digit1" || e.key === "!")) return "fit";
  if (key === "n" && !e.shiftKey) return "palette";
  if (key === "Escape") return "escape";
  return null;
}

/** Whether the key press goes to something the user types in. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.closest(".cm-editor")) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}

/** Key presses inside a dialog, the node panel or the palette belong to them. */
export function isInsidePanel(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && !!target.closest('[role="dialog"], [role="alertdialog"], [data-editor-panel], [data-palette]');
}
