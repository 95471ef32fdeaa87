/** A JSON value edited as text: written back only while it parses (and passes `check`); the
 * problem is shown under it otherwise. */
import { useEffect, useRef, useState } from "react";

import { CodeEditor } from "../../components/code/CodeEditor";

export interface JsonInputProps {
  id: string;
  labelledBy: string;
  describedBy?: string | undefined;
  value: unknown;
  onChange: (value: unknown) => void;
  invalid?: boolean;
  readOnly?: boolean;
  /** An extra rule on the parsed value: the message, or null when it is fine. */
  check?: (value: unknown) => string | null;
  /** Text for an undefined value (e.g. "" or "[]"). */
  emptyText?: string;
  /** Emit undefined for an empty text (the parameter's default applies). */
  allowEmpty?: boolean;
  /** Told the problem (or null) after each edit: the value is only written while valid. */
  onValidity?: (problem: string | null) => void;
}

export function toJsonText(value: unknown, emptyText = ""): string {
  if (value === undefined) return emptyText;
  return JSON.stringify(value, null, 2) ?? emptyText;
}

/** Parse `text`; the problem as a sentence when it is not valid JSON. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return { ok: false, error: `Not valid JSON: ${detail}` };
  }
}

export function JsonInput(props: JsonInputProps) {
  const { id, labelledBy, describedBy, value, onChange, invalid, readOnly, check, emptyText = "", allowEmpty = true, onValidity } = props;
  const [text, setText] = useState(() => toJsonText(value, emptyText));
  const [problem, setProblem] = useState<string | null>(null);
  const emitted = useRef<unknown>(value);

  // A value changed from outside (not what this input wrote, nor an equal copy) replaces the text.
  useEffect(() => {
    if (value !== emitted.current && JSON.stringify(value) !== JSON.stringify(emitted.current)) {
      emitted.current = value;
      setText(toJsonText(value, emptyText));
      setProblem(null);
    }
  }, [value, emptyText]);

  function edit(next: string) {
    setText(next);
    if (next.trim() === "" && allowEmpty) {
      setProblem(null);
      onValidity?.(null);
      emitted.current = undefined;
      onChange(undefined);
      return;
    }
    const parsed = parseJson(next);
    const message = parsed.ok ? (check?.(parsed.value) ?? null) : parsed.error;
    setProblem(message);
    onValidity?.(message);
    if (parsed.ok && !message) {
      emitted.current = parsed.value;
      onChange(parsed.value);
    }
  }

  const problemId = `${id}-json-error`;
  return (
    <div className="space-y-1">
      <CodeEditor
        id={id}
        language="json"
        labelledBy={labelledBy}
        describedBy={[describedBy, problem ? problemId : ""].filter(Boolean).join(" ") || undefined}
        value={text}
        onChange={edit}
        invalid={invalid || !!problem}
        readOnly={readOnly}
        className="max-h-72 overflow-auto"
      />
      {problem && (
        <p id={problemId} className="text-xs text-red-700 dark:text-red-400">
          {problem}
        </p>
      )}
    </div>
  );
}

/** A JSON array of objects (items), or the reason it is not. */
export function checkItems(value: unknown): string | null {
  if (!Array.isArray(value)) return "Must be a JSON array of objects, e.g. [{\"id\": 1}]";
  const bad = value.findIndex((v) => v === null || typeof v !== "object" || Array.isArray(v));
  return bad >= 0 ? `Item ${bad + 1} is not an object: every item must be a JSON object` : null;
}
