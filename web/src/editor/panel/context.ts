/** What every field of the panel needs without threading it through each level. */
import { createContext, useContext } from "react";

import { inputClass } from "../../components/ui";

import type { ExpressionScope, FieldErrors, JsonSchema } from "../types";
import type { ExprFunction } from "./expressionsApi";

export interface PanelContextValue {
  scope: ExpressionScope;
  functions: ExprFunction[];
  fieldErrors: FieldErrors;
  readOnly: boolean;
  /** The params schema (for `$ref`s of nested fields). */
  root: JsonSchema;
  nodeType?: string | undefined;
  /** The node's params as they are now (widgets that depend on a sibling: the model list of
   * the chosen integration, core.code's mode). */
  params?: Record<string, unknown> | undefined;
  /** The DOM id of the control of a field path (the error summary focuses it). */
  idFor: (path: string) => string;
}

export const PanelContext = createContext<PanelContextValue | null>(null);

export function usePanel(): PanelContextValue {
  const value = useContext(PanelContext);
  if (!value) throw new Error("usePanel outside the node panel");
  return value;
}

/** A DOM id from a field path (`params.rules[0].output` → `…-params-rules-0--output`). */
export function pathId(base: string, path: string): string {
  return `${base}-${path.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}

/** The panel's inputs: the app's input style, red while invalid, dimmed while disabled. */
export const fieldClass = `${inputClass} aria-invalid:border-red-500 dark:aria-invalid:border-red-400 disabled:cursor-not-allowed disabled:opacity-70`;
