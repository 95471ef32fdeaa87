/**
 * CodeMirror 6 as a controlled React input: Python, JSON, or an expression template (text with
 * `{{ … }}` marked), with an optional completion function. Bundled by Vite (no CDN). The
 * editor never traps Tab (keyboard users move on with Tab; indentation follows Enter).
 */
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
  type CompletionContext,
  type CompletionResult as CmResult,
} from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { python } from "@codemirror/lang-python";
import { bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  keymap,
  lineNumbers,
  MatchDecorator,
  placeholder as placeholderExt,
  ViewPlugin,
  type DecorationSet,
  type ViewUpdate,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { useEffect, useRef } from "react";

export type CodeLanguage = "python" | "json" | "expression" | "text";

export interface Completion {
  label: string;
  apply: string;
  type?: string;
  detail?: string | undefined;
  info?: string | undefined;
}

/** Given the text before the cursor: where the word starts and what may complete it. */
export type CompleteFn = (before: string) => { from: number; options: Completion[] } | null;

export interface CodeEditorProps {
  value: string;
  onChange?: (value: string) => void;
  language?: CodeLanguage;
  id?: string;
  /** Id of the visible label (the editor is a textbox named by it). */
  labelledBy?: string;
  describedBy?: string | undefined;
  invalid?: boolean;
  readOnly?: boolean;
  placeholder?: string;
  complete?: CompleteFn;
  /** Line numbers (for code). */
  gutter?: boolean;
  className?: string;
}

// Colours come from CSS variables the wrapper sets per theme (light and dark).
const highlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword, tags.definitionKeyword], color: "var(--ww-code-keyword)" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--ww-code-string)" },
  { tag: [tags.number, tags.bool, tags.null], color: "var(--ww-code-number)" },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: "var(--ww-code-comment)", fontStyle: "italic" },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: "var(--ww-code-function)" },
  { tag: [tags.propertyName], color: "var(--ww-code-property)" },
]);

const theme = EditorView.theme({
  "&": { color: "inherit", backgroundColor: "transparent", fontSize: "0.8125rem" },
  "&.cm-focused": { outline: "none" },
  ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", caretColor: "currentColor" },
  ".cm-gutters": { backgroundColor: "transparent", color: "var(--ww-code-comment)", border: "none" },
  ".cm-cursor": { borderLeftColor: "currentColor" },
  ".cm-selectionBackground, &.cm-focused .cm-selectionBackground": { backgroundColor: "var(--ww-code-selection) !important" },
  ".cm-ww-expr": { backgroundColor: "var(--ww-code-expr-bg)", color: "var(--ww-code-expr)", borderRadius: "3px" },
  ".cm-tooltip": { backgroundColor: "var(--ww-code-tooltip-bg)", color: "inherit", border: "1px solid var(--ww-code-border)" },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": { backgroundColor: "var(--ww-code-selection)", color: "inherit" },
  ".cm-completionDetail": { opacity: "0.7", marginLeft: "0.5em" },
  ".cm-placeholder": { color: "var(--ww-code-comment)" },
});

/** The CSS variables of the editor's colours, light and dark (Tailwind classes). */
export const codeColours =
  "[--ww-code-keyword:#7c3aed] [--ww-code-string:#047857] [--ww-code-number:#b45309] [--ww-code-comment:#71717a] [--ww-code-function:#1d4ed8] [--ww-code-property:#0e7490] [--ww-code-selection:#c7d2fe] [--ww-code-expr:#4338ca] [--ww-code-expr-bg:#e0e7ff] [--ww-code-tooltip-bg:#ffffff] [--ww-code-border:#d4d4d8] " +
  "dark:[--ww-code-keyword:#c4b5fd] dark:[--ww-code-string:#6ee7b7] dark:[--ww-code-number:#fcd34d] dark:[--ww-code-comment:#a1a1aa] dark:[--ww-code-function:#93c5fd] dark:[--ww-code-property:#67e8f9] dark:[--ww-code-selection:#3730a3] dark:[--ww-code-expr:#c7d2fe] dark:[--ww-code-expr-bg:#312e81] dark:[--ww-code-tooltip-bg:#18181b] dark:[--ww-code-border:#3f3f46]";

const expressionMarks = new MatchDecorator({
  regexp: /\{\{[\s\S]*?(?:\}\}|$)|\{%[\s\S]*?(?:%\}|$)/g,
  decoration: Decoration.mark({ class: "cm-ww-expr" }),
});

/** Marks every `{{ … }}` (and `{% … %}`) of an expression template. */
export const expressionHighlight = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;
    constructor(view: EditorView) {
      this.decorations = expressionMarks.createDeco(view);
    }
    update(update: ViewUpdate) {
      this.decorations = expressionMarks.updateDeco(update, this.decorations);
    }
  },
  { decorations: (v) => v.decorations },
);

function languageExtension(language: CodeLanguage): Extension {
  if (language === "python") return [python(), indentOnInput()];
  if (language === "json") return json();
  if (language === "expression") return expressionHighlight;
  return [];
}

function attributes(props: CodeEditorProps): Record<string, string> {
  const out: Record<string, string> = { "aria-multiline": "true" };
  if (props.id) out.id = props.id;
  if (props.labelledBy) out["aria-labelledby"] = props.labelledBy;
  if (props.describedBy) out["aria-describedby"] = props.describedBy;
  if (props.invalid) out["aria-invalid"] = "true";
  if (props.readOnly) out["aria-readonly"] = "true";
  return out;
}

export function CodeEditor(props: CodeEditorProps) {
  const { value, language = "text", readOnly = false, gutter = false, className = "" } = props;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(props);
  latest.current = props;
  const dynamic = useRef({ readOnly: new Compartment(), attrs: new Compartment() });

  useEffect(() => {
    const source = (ctx: CompletionContext): CmResult | null => {
      const fn = latest.current.complete;
      if (!fn) return null;
      const result = fn(ctx.state.doc.sliceString(0, ctx.pos));
      if (!result || (result.options.length === 0 && !ctx.explicit)) return null;
      return { from: result.from, options: result.options, filter: false };
    };
    const extensions: Extension[] = [
      history(),
      closeBrackets(),
      bracketMatching(),
      EditorView.lineWrapping,
      syntaxHighlighting(highlight),
      theme,
      languageExtension(language),
      autocompletion({ override: [source], icons: false }),
      keymap.of([...closeBracketsKeymap, ...completionKeymap, ...defaultKeymap, ...historyKeymap]),
      dynamic.current.readOnly.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
      dynamic.current.attrs.of(EditorView.contentAttributes.of(attributes(latest.current))),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) latest.current.onChange?.(u.state.doc.toString());
      }),
    ];
    if (gutter) extensions.push(lineNumbers());
    if (latest.current.placeholder) extensions.push(placeholderExt(latest.current.placeholder));
    const v = new EditorView({ parent: host.current!, state: EditorState.create({ doc: latest.current.value, extensions }) });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The language and gutter are fixed for an editor's life; the rest is reconfigured below.
  }, [language, gutter]);

  // A value changed from outside (undo in the canvas, another node) replaces the text.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
    }
  }, [value]);

  const { id, labelledBy, describedBy, invalid } = props;
  useEffect(() => {
    view.current?.dispatch({
      effects: [
        dynamic.current.readOnly.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
        dynamic.current.attrs.reconfigure(EditorView.contentAttributes.of(attributes({ value, id, labelledBy, describedBy, invalid, readOnly }))),
      ],
    });
    // value is only part of the props type here; it does not change the attributes.
  }, [id, labelledBy, describedBy, invalid, readOnly]);

  return (
    <div
      ref={host}
      className={`rounded-md border bg-white px-2 py-1 focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-indigo-500 dark:bg-zinc-900 ${
        invalid ? "border-red-500" : "border-zinc-300 dark:border-zinc-700"
      } ${readOnly ? "opacity-90" : ""} ${codeColours} ${className}`}
    />
  );
}
