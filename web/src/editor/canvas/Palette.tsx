/**
 * The node palette: search box, node types grouped by category. Drag a type onto the canvas,
 * or click it (Enter on the search box takes the first match) to add it: after the node whose
 * "+" opened the palette (connected to it), else in the middle of the view.
 */
import { Search, X } from "lucide-react";
import { useDeferredValue, useEffect, useId, useMemo, useRef, useState } from "react";

import { Button, focusRing, inputClass } from "../../components/ui";
import { flatten, paletteSections } from "../model/palette";
import type { NodeTypeMeta } from "../types";
import { PALETTE_MIME } from "./actions";
import { iconFor } from "./icons";

export interface PaletteProps {
  types: readonly NodeTypeMeta[];
  /** Set when the palette adds a node after another (then triggers are left out). */
  after?: { name: string; port: string } | null;
  onPick: (type: NodeTypeMeta) => void;
  onClose: () => void;
}

export function Palette({ types, after, onPick, onClose }: PaletteProps) {
  const [query, setQuery] = useState("");
  const deferred = useDeferredValue(query);
  const searchId = useId();
  const headingId = useId();
  const input = useRef<HTMLInputElement>(null);
  const sections = useMemo(() => paletteSections(types, deferred, { needsInput: !!after }), [types, deferred, after]);
  const flat = useMemo(() => flatten(sections), [sections]);
  useEffect(() => input.current?.focus(), [after]);

  function move(from: HTMLElement, delta: number) {
    const buttons = [...(from.closest("[data-palette]")?.querySelectorAll<HTMLButtonElement>("button[data-type]") ?? [])];
    const index = buttons.indexOf(from as HTMLButtonElement);
    const next = buttons[index + delta];
    if (next) next.focus();
    else if (delta < 0) input.current?.focus();
  }

  return (
    <aside
      aria-labelledby={headingId}
      data-palette
      className="flex h-full w-72 shrink-0 flex-col border-r border-zinc-200 bg-white text-zinc-900 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <div className="flex items-center gap-2 border-b border-zinc-200 p-3 dark:border-zinc-800">
        <h2 id={headingId} className="flex-1 text-sm font-semibold">
          {after ? (
            <>
              Add after <span className="font-mono">{after.name}</span>
              {after.port !== "main" && <span className="font-normal"> ({after.port})</span>}
            </>
          ) : (
            "Add a node"
          )}
        </h2>
        <Button variant="ghost" className="px-1.5" aria-label="Close the node palette" onClick={onClose}>
          <X aria-hidden className="size-4" />
        </Button>
      </div>
      <div className="relative p-3">
        <label htmlFor={searchId} className="sr-only">
          Search node types
        </label>
        <Search aria-hidden className="pointer-events-none absolute left-5 top-1/2 size-4 -translate-y-1/2 text-zinc-400" />
        <input
          ref={input}
          id={searchId}
          type="search"
          placeholder="Search nodes…"
          value={query}
          autoComplete="off"
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && flat[0]) {
              e.preventDefault();
              onPick(flat[0]);
            } else if (e.key === "ArrowDown") {
              e.preventDefault();
              e.currentTarget.closest("[data-palette]")?.querySelector<HTMLButtonElement>("button[data-type]")?.focus();
            }
          }}
          className={`${inputClass} pl-8`}
        />
      </div>
      <div className="flex-1 overflow-y-auto px-2 pb-3">
        {sections.length === 0 && <p className="px-2 text-sm text-zinc-500 dark:text-zinc-400">No node type matches “{deferred}”.</p>}
        {sections.map((section) => (
          <section key={section.category} aria-label={section.category} className="mb-3">
            <h3 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">{section.category}</h3>
            <ul>
              {section.types.map((t) => {
                const Icon = iconFor(t.icon);
                return (
                  <li key={t.type}>
                    <button
                      type="button"
                      data-type={t.type}
                      draggable
                      onDragStart={(e) => {
                        e.dataTransfer.setData(PALETTE_MIME, t.type);
                        e.dataTransfer.setData("text/plain", t.type);
                        e.dataTransfer.effectAllowed = "copy";
                      }}
                      onClick={() => onPick(t)}
                      onKeyDown={(e) => {
                        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                          e.preventDefault();
                          move(e.currentTarget, e.key === "ArrowDown" ? 1 : -1);
                        }
                      }}
                      title={t.description}
                      className={`flex w-full cursor-grab items-center gap-2 rounded-md px-2 py-1.5 text-left hover:bg-zinc-100 dark:hover:bg-zinc-800 ${focusRing}`}
                    >
                      <span className="flex size-7 shrink-0 items-center justify-center rounded bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300">
                        <Icon aria-hidden className="size-4" />
                      </span>
                      <span className="min-w-0">
                        <span className="block truncate text-sm font-medium">{t.display_name}</span>
                        <span className="block truncate text-xs text-zinc-500 dark:text-zinc-400">{t.description}</span>
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          </section>
        ))}
      </div>
      <p className="border-t border-zinc-200 p-2 text-xs text-zinc-500 dark:border-zinc-800 dark:text-zinc-400">Click to add, or drag onto the canvas.</p>
    </aside>
  );
}
