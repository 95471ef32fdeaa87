/** What nodes on the canvas can ask of the editor, without putting callbacks in node data
 * (data stays plain, so memoised nodes compare cheaply). The value must be stable. */
import { createContext, useContext } from "react";

import type { StickyNote } from "../model/document";

/** The drag-and-drop type of a node type dragged from the palette. */
export const PALETTE_MIME = "application/x-wirework-node-type";

export interface CanvasActions {
  /** The "+" after an output: open the palette to add a node connected to it. */
  addAfter: (nodeId: string, port: string) => void;
  /** Open a node's panel. */
  openNode: (nodeId: string) => void;
  updateNote: (id: string, change: Partial<StickyNote>) => void;
}

const NONE: CanvasActions = { addAfter: () => undefined, openNode: () => undefined, updateNote: () => undefined };

export const CanvasActionsContext = createContext<CanvasActions>(NONE);

export const useCanvasActions = () => useContext(CanvasActionsContext);
