/** A name → text parameter (headers): one row per entry; values may hold expressions. */
import { Plus, Trash2 } from "lucide-react";
import { useEffect, useState } from "react";

import { Button } from "../../components/ui";
import { fieldClass, usePanel } from "./context";
import type { FieldSpec } from "./paramSchema";

type Row = [string, string];

function rowsOf(value: unknown): Row[] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
}

function toObject(rows: Row[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of rows) if (k !== "") out[k] = v;
  return out;
}

export function StringMapEditor({ id, spec, value, onChange }: { id: string; spec: FieldSpec; value: unknown; onChange: (v: unknown) => void }) {
  const { readOnly } = usePanel();
  // Rows are kept here so a row whose name is still empty (or repeated) is not lost.
  const [rows, setRows] = useState<Row[]>(() => rowsOf(value));
  useEffect(() => {
    if (JSON.stringify(toObject(rows)) !== JSON.stringify(value ?? {})) setRows(rowsOf(value));
    // Only a change from outside resets the rows.
  }, [value]);

  function update(next: Row[]) {
    setRows(next);
    const obj = toObject(next);
    onChange(Object.keys(obj).length === 0 ? undefined : obj);
  }
  const names = rows.map(([k]) => k);
  return (
    <div id={id} tabIndex={-1} className="space-y-2">
      {rows.length === 0 && <p className="text-xs text-zinc-500 dark:text-zinc-400">None yet.</p>}
      {rows.map(([k, v], i) => (
        <div key={i} className="flex gap-2">
          <input
            aria-label={`${spec.label} ${i + 1}: name`}
            aria-invalid={names.indexOf(k) !== i || undefined}
            className={fieldClass}
            placeholder="name"
            disabled={readOnly}
            value={k}
            onChange={(e) => update(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))}
          />
          <input
            aria-label={`${spec.label} ${i + 1}: value`}
            className={`${fieldClass} font-mono`}
            placeholder="value or {{ expression }}"
            disabled={readOnly}
            value={v}
            onChange={(e) => update(rows.map((r, j) => (j === i ? [r[0], e.target.value] : r)))}
          />
          {!readOnly && (
            <Button variant="ghost" className="px-1.5" aria-label={`Remove ${spec.label} ${i + 1}`} onClick={() => update(rows.filter((_, j) => j !== i))}>
              <Trash2 aria-hidden className="size-4" />
            </Button>
          )}
        </div>
      ))}
      {!readOnly && (
        <Button className="text-xs" onClick={() => setRows([...rows, ["", ""]])}>
          <Plus aria-hidden className="size-3.5" />
          Add entry
        </Button>
      )}
    </div>
  );
}
