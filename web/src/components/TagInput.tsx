/**
 * A list of tags edited in one box: type and press Enter or a comma to add, Backspace on an
 * empty box removes the last one, ↑/↓ pick a suggestion, Escape closes the suggestions.
 * Tags follow the server's rules (trimmed, 1–40 characters, no control characters, at most
 * 20, case-insensitive duplicates dropped); a tag that matches a suggestion but for case
 * takes the suggestion's spelling, so the same tag is not spelled two ways.
 */
import { X } from "lucide-react";
import { useId, useMemo, useRef, useState, type KeyboardEvent } from "react";

import { focusRing } from "./ui";

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;
const MAX_SHOWN = 8;

export interface TagInputProps {
  label: string;
  value: string[];
  onChange: (tags: string[]) => void;
  /** Tags to offer (e.g. every tag in use); the ones already chosen are left out. */
  suggestions?: readonly string[];
  /** An error from the API for this field. */
  error?: string | undefined;
  id?: string;
  placeholder?: string;
}

/** The tag as the server will store it, or why it cannot be added. */
export function cleanTag(raw: string): { tag?: string; problem?: string } {
  const tag = raw.replace(/[\u0000-\u001f]/g, "").trim();
  if (!tag) return {};
  if (tag.length > MAX_TAG_LENGTH) return { problem: `A tag has at most ${MAX_TAG_LENGTH} characters.` };
  return { tag };
}

/** ``tags`` plus ``raw`` (cleaned; an existing spelling wins), or a problem to show. */
export function addTag(
  tags: readonly string[],
  raw: string,
  suggestions: readonly string[] = [],
): { tags: string[]; problem?: string } {
  const { tag, problem } = cleanTag(raw);
  if (!tag) return { tags: [...tags], ...(problem ? { problem } : {}) };
  const key = tag.toLocaleLowerCase();
  if (tags.some((t) => t.toLocaleLowerCase() === key)) return { tags: [...tags] };
  if (tags.length >= MAX_TAGS) return { tags: [...tags], problem: `At most ${MAX_TAGS} tags.` };
  const spelled = suggestions.find((s) => s.toLocaleLowerCase() === key) ?? tag;
  return { tags: [...tags, spelled] };
}

export function TagInput(props: TagInputProps) {
  const { label, value, onChange, suggestions = [], error, placeholder = "Add a tag…" } = props;
  const auto = useId();
  const inputId = props.id ?? auto;
  const listId = `${inputId}-suggestions`;
  const hintId = `${inputId}-hint`;
  const messageId = `${inputId}-message`;
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [activeIndex, setActiveIndex] = useState(-1);
  const [problem, setProblem] = useState("");
  const [announcement, setAnnouncement] = useState("");
  const inputRef = useRef<HTMLInputElement>(null);

  const matches = useMemo(() => {
    const needle = text.trim().toLocaleLowerCase();
    const chosen = new Set(value.map((t) => t.toLocaleLowerCase()));
    return suggestions
      .filter((s) => !chosen.has(s.toLocaleLowerCase()) && s.toLocaleLowerCase().includes(needle))
      .slice(0, MAX_SHOWN);
  }, [suggestions, value, text]);
  const showList = open && matches.length > 0;

  function add(raw: string) {
    const result = addTag(value, raw, suggestions);
    setProblem(result.problem ?? "");
    if (result.tags.length !== value.length) {
      onChange(result.tags);
      setAnnouncement(`Added tag ${result.tags[result.tags.length - 1]}.`);
    }
    if (!result.problem) setText("");
    setActiveIndex(-1);
  }

  function remove(index: number) {
    const tag = value[index];
    onChange(value.filter((_, i) => i !== index));
    setProblem("");
    setAnnouncement(`Removed tag ${tag}.`);
    inputRef.current?.focus();
  }

  function onTextChange(next: string) {
    // A comma ends a tag (also when several are pasted at once).
    const parts = next.split(",");
    let tags = value;
    let lastProblem = "";
    for (const part of parts.slice(0, -1)) {
      const result = addTag(tags, part, suggestions);
      tags = result.tags;
      lastProblem = result.problem ?? lastProblem;
    }
    if (tags.length !== value.length) {
      onChange(tags);
      setAnnouncement(`Added tag ${tags[tags.length - 1]}.`);
    }
    setProblem(lastProblem);
    setText(parts[parts.length - 1] ?? "");
    setOpen(true);
    setActiveIndex(-1);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    const active = showList && activeIndex >= 0 ? matches[activeIndex] : undefined;
    if (event.key === "Enter") {
      if (active !== undefined || text.trim()) {
        event.preventDefault(); // adding a tag, not submitting the form
        add(active ?? text);
      }
    } else if (event.key === "Backspace" && text === "" && value.length > 0) {
      event.preventDefault();
      remove(value.length - 1);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!matches.length) return;
      event.preventDefault();
      setOpen(true);
      const step = event.key === "ArrowDown" ? 1 : -1;
      // -1 is the text box itself; the list wraps around through it.
      const slots = matches.length + 1;
      setActiveIndex((i) => ((i + 1 + step + slots) % slots) - 1);
    } else if (event.key === "Escape" && showList) {
      event.stopPropagation(); // close the list, not the dialog around it
      setOpen(false);
      setActiveIndex(-1);
    }
  }

  const describedBy = [hintId, problem || error ? messageId : ""].filter(Boolean).join(" ");
  return (
    <div className="space-y-1">
      <label htmlFor={inputId} className="block text-sm font-medium">
        {label}
      </label>
      <div
        className={`flex flex-wrap items-center gap-1.5 rounded-md border bg-white px-2 py-1.5 focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-indigo-500 dark:bg-zinc-900 ${
          problem || error ? "border-red-500" : "border-zinc-300 dark:border-zinc-700"
        }`}
        onClick={() => inputRef.current?.focus()}
      >
        <ul aria-label={`${label}: chosen`} className="contents">
          {value.map((tag, index) => (
            <li key={tag}>
              <TagChip tag={tag} onRemove={() => remove(index)} />
            </li>
          ))}
        </ul>
        <div className="relative min-w-32 flex-1">
          <input
            ref={inputRef}
            id={inputId}
            type="text"
            role="combobox"
            aria-expanded={showList}
            aria-controls={listId}
            aria-autocomplete="list"
            aria-activedescendant={showList && activeIndex >= 0 ? `${listId}-${activeIndex}` : undefined}
            aria-describedby={describedBy}
            aria-invalid={problem || error ? true : undefined}
            autoComplete="off"
            value={text}
            placeholder={value.length ? "" : placeholder}
            maxLength={MAX_TAG_LENGTH * 4}
            onChange={(e) => onTextChange(e.target.value)}
            onKeyDown={onKeyDown}
            onFocus={() => setOpen(true)}
            onBlur={() => {
              setOpen(false);
              if (text.trim()) add(text);
            }}
            className="w-full bg-transparent px-1 py-0.5 text-sm text-zinc-900 outline-none placeholder:text-zinc-400 dark:text-zinc-100"
          />
          <ul
            id={listId}
            role="listbox"
            aria-label={`${label}: suggestions`}
            hidden={!showList}
            className="absolute left-0 top-full z-10 mt-1 max-h-60 min-w-48 overflow-auto rounded-md border border-zinc-200 bg-white py-1 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
          >
            {matches.map((s, i) => (
              <li
                key={s}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === activeIndex}
                // Keep the focus in the box: the click adds the tag, the blur must not.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => add(s)}
                className={`cursor-pointer px-3 py-1 ${
                  i === activeIndex
                    ? "bg-indigo-600 text-white"
                    : "text-zinc-800 hover:bg-zinc-100 dark:text-zinc-200 dark:hover:bg-zinc-800"
                }`}
              >
                {s}
              </li>
            ))}
          </ul>
        </div>
      </div>
      <p id={hintId} className="text-xs text-zinc-500 dark:text-zinc-400">
        Enter or comma adds a tag, Backspace removes the last one.
      </p>
      {(problem || error) && (
        <p id={messageId} className="text-sm text-red-600 dark:text-red-400">
          {problem || error}
        </p>
      )}
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
    </div>
  );
}

/** A tag as a chip, with a remove button when ``onRemove`` is given. */
export function TagChip({ tag, onRemove }: { tag: string; onRemove?: () => void }) {
  return (
    <span className="inline-flex items-center gap-0.5 rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200">
      {tag}
      {onRemove && (
        <button
          type="button"
          aria-label={`Remove tag ${tag}`}
          onClick={(e) => {
            e.stopPropagation();
            onRemove();
          }}
          className={`-mr-1 rounded-full p-0.5 hover:bg-indigo-100 dark:hover:bg-indigo-900 ${focusRing}`}
        >
          <X aria-hidden className="size-3" />
        </button>
      )}
    </span>
  );
}
