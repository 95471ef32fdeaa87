import { ArrowDown, ArrowUp, Plus, Trash2 } from "lucide-react";
import { useId } from "react";

import { Button, inputClass } from "../components/ui";
import { emptyRow, move, PARAM_TYPES, type ParamRow, type ParamType, type RowErrors } from "./paramRows";

export interface ParameterBuilderProps {
  /** What the rows are, e.g. "Credential fields" or "Parameters of send_message". */
  legend: string;
  /** Where the rows' problems are filed, e.g. "parameters" or "actions[0].parameters". */
  prefix: string;
  rows: ParamRow[];
  errors: RowErrors;
  onChange: (rows: ParamRow[]) => void;
}

/** Rows of name, type, required, description, default (and options for a select); add,
 * remove and reorder them. */
export function ParameterBuilder({ legend, prefix, rows, errors, onChange }: ParameterBuilderProps) {
  function update(index: number, patch: Partial<ParamRow>) {
    onChange(rows.map((r, i) => (i === index ? { ...r, ...patch } : r)));
  }
  return (
    <fieldset className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
      <legend className="px-1 text-sm font-semibold">{legend}</legend>
      {rows.length === 0 && <p className="text-sm text-zinc-500 dark:text-zinc-400">None yet.</p>}
      <ol className="space-y-3">
        {rows.map((row, i) => (
          <li key={row.key}>
            <Row
              row={row}
              index={i}
              count={rows.length}
              at={`${prefix}[${i}]`}
              errors={errors}
              onChange={(patch) => update(i, patch)}
              onMove={(delta) => onChange(move(rows, i, delta))}
              onRemove={() => onChange(rows.filter((_, j) => j !== i))}
            />
          </li>
        ))}
      </ol>
      <Button onClick={() => onChange([...rows, emptyRow()])}>
        <Plus aria-hidden className="size-4" />
        Add parameter
      </Button>
    </fieldset>
  );
}

interface RowProps {
  row: ParamRow;
  index: number;
  count: number;
  at: string;
  errors: RowErrors;
  onChange: (patch: Partial<ParamRow>) => void;
  onMove: (delta: number) => void;
  onRemove: () => void;
}

function Row({ row, index, count, at, errors, onChange, onMove, onRemove }: RowProps) {
  const id = useId();
  const label = `Parameter ${index + 1}${row.name ? ` (${row.name})` : ""}`;
  const err = (field: string) => errors[`${at}.${field}`];
  return (
    <div
      role="group"
      aria-label={label}
      className="grid gap-2 rounded-md bg-zinc-50 p-3 sm:grid-cols-2 lg:grid-cols-6 dark:bg-zinc-800/50"
    >
      <Cell id={`${id}-name`} label="Name" error={err("name")} className="lg:col-span-2">
        <input
          id={`${id}-name`}
          className={inputClass}
          value={row.name}
          onChange={(e) => onChange({ name: e.target.value })}
          aria-invalid={err("name") ? true : undefined}
          aria-describedby={err("name") ? `${id}-name-error` : undefined}
          autoComplete="off"
        />
      </Cell>
      <Cell id={`${id}-type`} label="Type">
        <select
          id={`${id}-type`}
          className={inputClass}
          value={row.type}
          onChange={(e) => onChange({ type: e.target.value as ParamType })}
        >
          {PARAM_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </Cell>
      <div className="flex items-end pb-1.5">
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={row.required}
            onChange={(e) => onChange({ required: e.target.checked })}
            className="size-4 accent-indigo-600"
          />
          Required
        </label>
      </div>
      <div className="flex items-end justify-end gap-1 lg:col-span-2">
        <Button variant="ghost" aria-label={`Move ${label} up`} title="Move up" disabled={index === 0} onClick={() => onMove(-1)}>
          <ArrowUp aria-hidden className="size-4" />
        </Button>
        <Button
          variant="ghost"
          aria-label={`Move ${label} down`}
          title="Move down"
          disabled={index === count - 1}
          onClick={() => onMove(1)}
        >
          <ArrowDown aria-hidden className="size-4" />
        </Button>
        <Button variant="ghost" aria-label={`Remove ${label}`} title="Remove" onClick={onRemove}>
          <Trash2 aria-hidden className="size-4 text-red-600" />
        </Button>
      </div>
      <Cell id={`${id}-description`} label="Description" className="sm:col-span-2 lg:col-span-3">
        <input
          id={`${id}-description`}
          className={inputClass}
          value={row.description}
          onChange={(e) => onChange({ description: e.target.value })}
        />
      </Cell>
      <Cell
        id={`${id}-default`}
        label={row.type === "json" ? "Default (JSON)" : "Default"}
        error={err("default")}
        className={row.type === "select" ? "lg:col-span-1" : "lg:col-span-3"}
      >
        {row.type === "boolean" ? (
          <select
            id={`${id}-default`}
            className={inputClass}
            value={row.default}
            onChange={(e) => onChange({ default: e.target.value })}
          >
            <option value="">(none)</option>
            <option value="true">true</option>
            <option value="false">false</option>
          </select>
        ) : (
          <input
            id={`${id}-default`}
            className={inputClass}
            type={row.type === "number" ? "number" : "text"}
            value={row.default}
            onChange={(e) => onChange({ default: e.target.value })}
            aria-invalid={err("default") ? true : undefined}
            aria-describedby={err("default") ? `${id}-default-error` : undefined}
            autoComplete="off"
          />
        )}
      </Cell>
      {row.type === "select" && (
        <Cell id={`${id}-options`} label="Options (comma-separated)" error={err("options")} className="sm:col-span-2">
          <input
            id={`${id}-options`}
            className={inputClass}
            value={row.options}
            onChange={(e) => onChange({ options: e.target.value })}
            aria-invalid={err("options") ? true : undefined}
            aria-describedby={err("options") ? `${id}-options-error` : undefined}
          />
        </Cell>
      )}
    </div>
  );
}

function Cell(props: { id: string; label: string; error?: string | undefined; className?: string; children: React.ReactNode }) {
  const { id, label, error, className = "", children } = props;
  return (
    <div className={`space-y-1 ${className}`}>
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
        {label}
      </label>
      {children}
      {error && (
        <p id={`${id}-error`} className="text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
