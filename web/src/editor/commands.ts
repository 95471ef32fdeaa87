/** What a keyboard shortcut does in the editor. */
import type { Command } from "./shortcuts";
import type { Editor } from "./useEditor";

export interface CommandContext {
  readOnly: boolean;
  editor: Pick<Editor, "dispatch" | "save" | "tidy" | "runWorkflow">;
  fitView: () => unknown;
  /** Close the palette, else the panel; false when neither was open. */
  closePanelOrPalette: () => boolean;
  openPalette: () => void;
  help: () => void;
}

/** Commands that only look (allowed while a version is viewed read-only). */
const LOOKING = new Set<Command>(["help", "fit", "escape"]);

export function runCommand(c: Command, ctx: CommandContext): void {
  const { editor } = ctx;
  if (ctx.readOnly && !LOOKING.has(c)) return;
  switch (c) {
    case "save":
      void editor.save();
      break;
    case "undo":
      editor.dispatch({ type: "undo" });
      break;
    case "redo":
      editor.dispatch({ type: "redo" });
      break;
    case "delete":
      editor.dispatch({ type: "deleteSelection" });
      break;
    case "selectAll":
      editor.dispatch({ type: "selectAll" });
      break;
    case "tidy":
      editor.tidy();
      break;
    case "help":
      ctx.help();
      break;
    case "palette":
      ctx.openPalette();
      break;
    case "fit":
      void ctx.fitView();
      break;
    case "run":
      void editor.runWorkflow();
      break;
    case "escape":
      if (!ctx.closePanelOrPalette()) editor.dispatch({ type: "selectOnly", nodes: [] });
      break;
    default:
      break;
  }
}
