/** A sticky note on the canvas: its text shown as Markdown (sanitised; raw HTML shown as
 * text), edited as plain text (double-click or Enter to edit, Escape or leaving the box to
 * finish), a colour, resizable while selected. Stored in the document. */
import { NodeResizer, type NodeProps } from "@xyflow/react";
import { memo, useEffect, useMemo, useRef, useState } from "react";

import { renderMarkdown } from "../../components/markdown/markdown";

import { STICKY_COLORS, type StickyColor } from "../model/document";
import type { StickyFlowNode } from "../model/graph";
import { useCanvasActions } from "./actions";

const COLOURS: Record<StickyColor, string> = {
  yellow: "bg-amber-100 border-amber-300 text-amber-950 dark:bg-amber-900/60 dark:border-amber-700 dark:text-amber-50",
  blue: "bg-sky-100 border-sky-300 text-sky-950 dark:bg-sky-900/60 dark:border-sky-700 dark:text-sky-50",
  green: "bg-emerald-100 border-emerald-300 text-emerald-950 dark:bg-emerald-900/60 dark:border-emerald-700 dark:text-emerald-50",
  pink: "bg-pink-100 border-pink-300 text-pink-950 dark:bg-pink-900/60 dark:border-pink-700 dark:text-pink-50",
  purple: "bg-violet-100 border-violet-300 text-violet-950 dark:bg-violet-900/60 dark:border-violet-700 dark:text-violet-50",
  gray: "bg-zinc-100 border-zinc-300 text-zinc-900 dark:bg-zinc-800 dark:border-zinc-600 dark:text-zinc-50",
};
/** Markdown inside a note: compact, in the note's own text colour. */
const PROSE = [
  "[&_h1]:text-base [&_h1]:font-bold [&_h2]:text-sm [&_h2]:font-bold [&_h3]:font-semibold [&_h4]:font-semibold [&_h5]:font-semibold [&_h6]:font-semibold",
  "[&_p]:my-1 [&_ul]:my-1 [&_ul]:list-disc [&_ul]:pl-5 [&_ol]:my-1 [&_ol]:list-decimal [&_ol]:pl-5",
  "[&_a]:underline [&_a]:underline-offset-2 [&_a:focus-visible]:outline-2 [&_a:focus-visible]:outline-indigo-500",
  "[&_code]:rounded [&_code]:bg-black/10 [&_code]:px-1 [&_code]:font-mono [&_code]:text-xs dark:[&_code]:bg-white/15",
  "[&_pre]:my-1 [&_pre]:overflow-x-auto [&_pre]:rounded [&_pre]:bg-black/10 [&_pre]:p-1.5 dark:[&_pre]:bg-white/15 [&_pre_code]:bg-transparent [&_pre_code]:p-0",
  "[&_blockquote]:border-l-2 [&_blockquote]:border-current/40 [&_blockquote]:pl-2 [&_hr]:my-2 [&_hr]:border-current/30",
  "[&_table]:border-collapse [&_td]:border [&_td]:border-current/30 [&_td]:px-1 [&_th]:border [&_th]:border-current/30 [&_th]:px-1",
].join(" ");

function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  // Sanitised by renderMarkdown (allow-listed tags and attributes, no raw HTML).
  return <div className={PROSE} dangerouslySetInnerHTML={{ __html: html }} />;
}

const SWATCH: Record<StickyColor, string> = {
  yellow: "bg-amber-300",
  blue: "bg-sky-300",
  green: "bg-emerald-300",
  pink: "bg-pink-300",
  purple: "bg-violet-300",
  gray: "bg-zinc-300",
};

function StickyNodeView({ data, selected }: NodeProps<StickyFlowNode>) {
  const { note, readOnly } = data;
  const actions = useCanvasActions();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(note.text ?? "");
  const box = useRef<HTMLTextAreaElement>(null);
  const colour = note.color ?? "yellow";
  useEffect(() => {
    if (!editing) setDraft(note.text ?? "");
  }, [note.text, editing]);
  useEffect(() => {
    if (editing) box.current?.focus();
  }, [editing]);

  function finish() {
    setEditing(false);
    if (draft !== (note.text ?? "")) actions.updateNote(note.id, { text: draft });
  }

  return (
    <div
      className={`h-full w-full rounded-md border p-2 text-sm shadow-sm ${COLOURS[colour]} ${selected ? "ring-2 ring-indigo-400" : ""}`}
      onDoubleClick={() => !readOnly && setEditing(true)}
      onKeyDown={(e) => {
        if (!editing && e.key === "Enter" && !readOnly) {
          e.preventDefault();
          setEditing(true);
        }
      }}
    >
      {!readOnly && <NodeResizer isVisible={selected && !editing} minWidth={40} minHeight={40} />}
      {editing ? (
        <textarea
          ref={box}
          aria-label="Sticky note text"
          value={draft}
          maxLength={10000}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={finish}
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === "Escape") finish();
          }}
          className="nodrag nowheel nopan h-full w-full resize-none bg-transparent text-sm outline-none"
        />
      ) : (
        <div className="h-full overflow-hidden break-words" data-testid="sticky-text">
          {note.text ? <Markdown text={note.text} /> : <span className="opacity-60">{readOnly ? "" : "Double-click to write a note"}</span>}
        </div>
      )}
      {selected && !readOnly && !editing && (
        <div role="group" aria-label="Note colour" className="nodrag absolute -bottom-8 left-0 flex gap-1 rounded-md bg-white p-1 shadow dark:bg-zinc-800">
          {STICKY_COLORS.map((c) => (
            <button
              key={c}
              type="button"
              aria-label={`Colour ${c}`}
              aria-pressed={c === colour}
              onClick={() => actions.updateNote(note.id, { color: c })}
              className={`size-4 rounded-full ${SWATCH[c]} ${c === colour ? "ring-2 ring-indigo-500 ring-offset-1" : ""} focus-visible:outline-2 focus-visible:outline-indigo-500`}
            />
          ))}
        </div>
      )}
    </div>
  );
}

export const StickyNode = memo(StickyNodeView);
