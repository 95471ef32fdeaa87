/** A compact JSON Schema builder (ai.structured_output's `json_schema`): rows of fields with
 * name, type, description and required; objects and arrays of objects nest. A schema the
 * builder cannot show (enum, anyOf…) is edited as JSON, and "Edit as JSON" is always there. */
import { Plus, Trash2 } from "lucide-react";
import { useState } from "react";

import { Button, focusRing } from "../../components/ui";
import { fieldClass } from "../../editor/panel/context";
import { JsonInput } from "../../editor/panel/JsonInput";
import { builderProblems, FIELD_TYPES, fromSchema, toSchema, type BuilderField, type FieldType, type ItemType } from "./schemaBuilder";

export interface JsonSchemaBuilderProps {
  id: string;
  labelledBy: string;
  value: unknown;
  onChange: (value: unknown) => void;
  readOnly: boolean;
}

export function JsonSchemaBuilder({ id, labelledBy, value, onChange, readOnly }: JsonSchemaBuilderProps) {
  const parsed = fromSchema(value);
  const [asJson, setAsJson] = useState(parsed === null);
  // Rows being typed (a field without a name yet is not in the schema): kept here while the
  // schema they make is the value; a value changed elsewhere (undo, JSON) starts them again.
  const [rows, setRows] = useState<BuilderField[]>(parsed ?? []);
  const fields = JSON.stringify(toSchema(rows)) === JSON.stringify(value ?? toSchema([])) ? rows : (parsed ?? []);
  const problems = builderProblems(fields);
  const update = (next: BuilderField[]) => {
    setRows(next);
    onChange(toSchema(next));
  };
  return (
    <div className="space-y-2" id={id} role="group" aria-labelledby={labelledBy}>
      <div className="flex items-center gap-2 text-xs">
        <label className="flex items-center gap-1">
          <input type="checkbox" checked={asJson} disabled={parsed === null} onChange={(e) => setAsJson(e.target.checked)} />
          Edit as JSON
        </label>
        {parsed === null && <span className="text-zinc-500 dark:text-zinc-400">(this schema uses more than the builder shows)</span>}
      </div>
      {asJson || parsed === null ? (
        <JsonInput id={`${id}-json`} labelledBy={labelledBy} value={value} readOnly={readOnly} onChange={onChange} />
      ) : (
        <>
          <FieldRows fields={fields} readOnly={readOnly} onChange={update} label="Answer" />
          {problems.length > 0 && (
            <ul className="list-disc pl-5 text-xs text-red-700 dark:text-red-400">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

function FieldRows({ fields, onChange, readOnly, label }: { fields: BuilderField[]; onChange: (f: BuilderField[]) => void; readOnly: boolean; label: string }) {
  const set = (i: number, patch: Partial<BuilderField>) => onChange(fields.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  return (
    <div className="space-y-2">
      {fields.map((f, i) => {
        const name = f.name || `field ${i + 1}`;
        const nested = f.type === "object" || (f.type === "array" && f.items === "object");
        return (
          <div key={i} className="space-y-1 rounded border border-zinc-200 p-2 dark:border-zinc-700" data-schema-field={f.name}>
            <div className="flex flex-wrap items-center gap-1">
              <input aria-label={`${label}: name of field ${i + 1}`} className={`${fieldClass} w-32 flex-1`} value={f.name} disabled={readOnly} placeholder="name" onChange={(e) => set(i, { name: e.target.value })} />
              <select
                aria-label={`Type of ${name}`}
                className={`${fieldClass} w-24`}
                value={f.type}
                disabled={readOnly}
                onChange={(e) => {
                  const type = e.target.value as FieldType;
                  set(i, { type, fields: type === "object" ? (f.fields ?? []) : f.fields, items: type === "array" ? (f.items ?? "string") : undefined });
                }}
              >
                {FIELD_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
              {f.type === "array" && (
                <select aria-label={`Item type of ${name}`} className={`${fieldClass} w-24`} value={f.items ?? "string"} disabled={readOnly} onChange={(e) => set(i, { items: e.target.value as ItemType })}>
                  {FIELD_TYPES.filter((t) => t !== "array").map((t) => (
                    <option key={t}>{t}</option>
                  ))}
                </select>
              )}
              <label className="flex items-center gap-1 text-xs">
                <input type="checkbox" aria-label={`${name} is required`} checked={f.required} disabled={readOnly} onChange={(e) => set(i, { required: e.target.checked })} />
                required
              </label>
              <button type="button" aria-label={`Remove ${name}`} disabled={readOnly} className={`rounded p-1 text-zinc-500 hover:bg-zinc-100 dark:hover:bg-zinc-800 ${focusRing}`} onClick={() => onChange(fields.filter((_, j) => j !== i))}>
                <Trash2 aria-hidden className="size-3.5" />
              </button>
            </div>
            <input aria-label={`Description of ${name}`} className={fieldClass} value={f.description} disabled={readOnly} placeholder="description (what the model should put there)" onChange={(e) => set(i, { description: e.target.value })} />
            {nested && (
              <div className="border-l-2 border-zinc-200 pl-2 dark:border-zinc-700">
                <FieldRows fields={f.fields ?? []} readOnly={readOnly} label={name} onChange={(inner) => set(i, { fields: inner })} />
              </div>
            )}
          </div>
        );
      })}
      <Button variant="ghost" className="text-xs" disabled={readOnly} onClick={() => onChange([...fields, { name: "", type: "string", description: "", required: true }])}>
        <Plus aria-hidden className="size-3.5" />
        Add a field{label !== "Answer" ? ` to ${label}` : ""}
      </Button>
    </div>
  );
}
