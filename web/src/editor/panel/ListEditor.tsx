/** A list parameter: elements added, removed and reordered; object elements get their own
 * fields (e.g. a switch's rules), plain ones one input each. */
import { ArrowDown, ArrowUp, Plus, Trash2 } from "lucide-react";
import { useRef } from "react";

import { Button } from "../../components/ui";
import { fieldClass, usePanel } from "./context";
import { ObjectFields } from "./ObjectFields";
import { emptyValue, type FieldSpec } from "./paramSchema";

export interface ListEditorProps {
  id: string;
  spec: FieldSpec;
  value: unknown;
  onChange: (value: unknown) => void;
}

let nextKey = 0;

/** Stable React keys for the elements, moved along with them. */
function useElementKeys(length: number) {
  const keys = useRef<number[]>([]);
  if (keys.current.length !== length) {
    keys.current = Array.from({ length }, (_, i) => keys.current[i] ?? nextKey++);
  }
  return keys;
}

export function ListEditor({ id, spec, value, onChange }: ListEditorProps) {
  const { root, readOnly, fieldErrors } = usePanel();
  const list = Array.isArray(value) ? value : [];
  const keys = useElementKeys(list.length);
  const itemSchema = spec.itemSchema ?? {};
  const objects = itemSchema.type === "object" || !!itemSchema.properties;
  const noun = spec.label.replace(/s$/, "").toLowerCase() || "item";

  function update(next: unknown[], nextKeys: number[]) {
    keys.current = nextKeys;
    onChange(next.length === 0 && !spec.required ? undefined : next);
  }
  function move(i: number, by: number) {
    const j = i + by;
    const next = [...list];
    const k = [...keys.current];
    [next[i], next[j]] = [next[j], next[i]];
    [k[i], k[j]] = [k[j]!, k[i]!];
    update(next, k);
  }
  const max = (spec.schema as { maxItems?: number }).maxItems;

  return (
    <div id={id} tabIndex={-1} className="space-y-2">
      {list.length === 0 && <p className="text-xs text-zinc-500 dark:text-zinc-400">None yet.</p>}
      <ol className="space-y-2">
        {list.map((element, i) => {
          const path = `${spec.path}[${i}]`;
          const label = `${spec.label} ${i + 1}`;
          const error = fieldErrors[path];
          return (
            <li key={keys.current[i]} className="rounded-md border border-zinc-200 p-2 dark:border-zinc-700" aria-label={objects ? label : undefined}>
              <div className="mb-1 flex items-center gap-1">
                <span className="text-xs font-medium text-zinc-600 dark:text-zinc-300">{label}</span>
                {!readOnly && (
                  <span className="ml-auto flex gap-0.5">
                    <Button variant="ghost" className="px-1 py-0.5" aria-label={`Move ${label} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                      <ArrowUp aria-hidden className="size-3.5" />
                    </Button>
                    <Button variant="ghost" className="px-1 py-0.5" aria-label={`Move ${label} down`} disabled={i === list.length - 1} onClick={() => move(i, 1)}>
                      <ArrowDown aria-hidden className="size-3.5" />
                    </Button>
                    <Button
                      variant="ghost"
                      className="px-1 py-0.5"
                      aria-label={`Remove ${label}`}
                      onClick={() => update(list.filter((_, j) => j !== i), keys.current.filter((_, j) => j !== i))}
                    >
                      <Trash2 aria-hidden className="size-3.5" />
                    </Button>
                  </span>
                )}
              </div>
              {objects ? (
                <ObjectFields
                  schema={itemSchema}
                  path={path}
                  value={element && typeof element === "object" && !Array.isArray(element) ? (element as Record<string, unknown>) : {}}
                  onChange={(v) => update(list.map((e, j) => (j === i ? v : e)), keys.current)}
                />
              ) : (
                <PlainElement label={label} schemaType={itemSchema.type} value={element} readOnly={readOnly} onChange={(v) => update(list.map((e, j) => (j === i ? v : e)), keys.current)} />
              )}
              {error && <p className="mt-1 text-sm text-red-700 dark:text-red-400">{error}</p>}
            </li>
          );
        })}
      </ol>
      {!readOnly && (
        <Button
          className="text-xs"
          disabled={max !== undefined && list.length >= max}
          onClick={() => update([...list, emptyValue(itemSchema, root)], [...keys.current, nextKey++])}
        >
          <Plus aria-hidden className="size-3.5" />
          Add {noun}
        </Button>
      )}
    </div>
  );
}

function PlainElement(props: { label: string; schemaType: string | string[] | undefined; value: unknown; readOnly: boolean; onChange: (v: unknown) => void }) {
  const numeric = props.schemaType === "number" || props.schemaType === "integer";
  return (
    <input
      aria-label={props.label}
      className={fieldClass}
      type={numeric ? "number" : "text"}
      disabled={props.readOnly}
      value={props.value === undefined || props.value === null ? "" : String(props.value)}
      onChange={(e) => props.onChange(numeric ? Number(e.target.value) : e.target.value)}
    />
  );
}
