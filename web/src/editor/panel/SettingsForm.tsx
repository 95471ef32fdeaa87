/** The node's own settings: name, disabled, notes, retry, timeout and what an error does. */
import { useEffect, useId, useState } from "react";

import { focusRing } from "../../components/ui";
import type { DocNode } from "../types";
import { nameProblem } from "../model/rename";
import { fieldClass, usePanel } from "./context";

const NO_NAMES: ReadonlySet<string> = new Set();

type Retry = NonNullable<DocNode["retry"]>;
type OnError = NonNullable<DocNode["on_error"]>;

/** The document's Retry model: its defaults and bounds (schemas/document.py). */
export const RETRY_DEFAULTS: Required<Retry> = { max_attempts: 3, backoff_s: 1, max_backoff_s: 300, jitter: true };
const RETRY_BOUNDS = {
  max_attempts: { min: 1, max: 10, label: "Attempts in all", hint: "The first included (1 = no retry)" },
  backoff_s: { min: 0, max: 3600, label: "First wait (seconds)", hint: "Before the second attempt; doubles each time" },
  max_backoff_s: { min: 0, max: 86400, label: "Longest wait (seconds)", hint: "Upper bound of the wait between attempts" },
} as const;

export const ON_ERROR: { value: OnError; label: string; hint: string }[] = [
  { value: "stop", label: "Stop the execution", hint: "The execution fails at this node" },
  { value: "continue", label: "Continue", hint: "The next nodes run; the failed item carries an error key" },
  { value: "error_output", label: "Send to the error output", hint: "The error goes out as an item on the node's error port" },
];

export interface SettingsFormProps {
  node: DocNode;
  onChange: (next: DocNode) => void;
  /** The other nodes' names: a rename to one of them is refused. */
  otherNames?: ReadonlySet<string> | undefined;
}

export function SettingsForm({ node, onChange, otherNames }: SettingsFormProps) {
  const { readOnly, fieldErrors, idFor } = usePanel();
  const set = (patch: Partial<DocNode>) => onChange({ ...node, ...patch });

  return (
    <div className="space-y-5">
      <NameSetting node={node} otherNames={otherNames} readOnly={readOnly} serverError={fieldErrors.name} onRename={(name) => set({ name })} />
      <div className="space-y-1">
        <label className="flex items-center gap-2 text-sm font-medium">
          <input
            id={idFor("disabled")}
            type="checkbox"
            className={`size-4 accent-indigo-600 ${focusRing}`}
            checked={node.disabled ?? false}
            disabled={readOnly}
            onChange={(e) => set({ disabled: e.target.checked })}
          />
          Disabled
        </label>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">A disabled node passes its input on.</p>
      </div>
      <TextSetting label="Notes" path="notes" error={fieldErrors.notes} hint="Free text for humans">
        {(props) => <textarea {...props} className={fieldClass} rows={3} value={node.notes ?? ""} disabled={readOnly} onChange={(e) => set({ notes: e.target.value })} />}
      </TextSetting>
      <TextSetting label="Timeout (seconds)" path="timeout_s" error={fieldErrors.timeout_s} hint="Time limit of one attempt; empty: the workflow's">
        {(props) => (
          <NumberSetting {...props} value={node.timeout_s ?? null} min={0} disabled={readOnly} onChange={(v) => set({ timeout_s: v })} />
        )}
      </TextSetting>
      <RetrySettings node={node} set={set} />
      <OnErrorSetting node={node} set={set} />
    </div>
  );
}

/** The name is written when the field is left or Enter is pressed (one change: the rename
 * and the references it rewrites are one undo step); Escape puts the current name back. */
function NameSetting(props: { node: DocNode; otherNames: ReadonlySet<string> | undefined; readOnly: boolean; serverError: string | undefined; onRename: (name: string) => void }) {
  const { node, otherNames, readOnly, serverError, onRename } = props;
  const current = node.name || node.id;
  const [name, setName] = useState(current);
  useEffect(() => setName(current), [current]);
  const problem = nameProblem(name.trim(), otherNames ?? NO_NAMES);
  const commit = () => {
    const clean = name.trim();
    if (problem || clean === current) return;
    onRename(clean);
  };
  return (
    <TextSetting label="Name" path="name" error={problem ?? serverError} hint="Unique in the workflow; expressions use it: nodes['Name']. Renaming updates them (Enter or leaving the field renames, Escape cancels).">
      {(p) => (
        <input
          {...p}
          className={fieldClass}
          required
          value={name}
          disabled={readOnly}
          onChange={(e) => setName(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              commit();
            } else if (e.key === "Escape" && name !== current) {
              e.preventDefault();
              setName(current);
            }
          }}
        />
      )}
    </TextSetting>
  );
}

function OnErrorSetting({ node, set }: { node: DocNode; set: (patch: Partial<DocNode>) => void }) {
  const { readOnly, fieldErrors, idFor } = usePanel();
  const base = useId();
  return (
    <fieldset className="space-y-1" aria-describedby={fieldErrors.on_error ? `${base}-onerror-error` : undefined}>
      <legend className="text-sm font-medium">On error</legend>
      {ON_ERROR.map((o) => (
        <label key={o.value} className="flex items-start gap-2 text-sm">
          <input
            type="radio"
            name={`${base}-on-error`}
            id={o.value === (node.on_error ?? "stop") ? idFor("on_error") : undefined}
            className={`mt-0.5 size-4 shrink-0 accent-indigo-600 ${focusRing}`}
            value={o.value}
            checked={(node.on_error ?? "stop") === o.value}
            disabled={readOnly}
            onChange={() => set({ on_error: o.value })}
          />
          <span>
            {o.label} <span className="text-xs text-zinc-500 dark:text-zinc-400">— {o.hint}</span>
          </span>
        </label>
      ))}
      {fieldErrors.on_error && (
        <p id={`${base}-onerror-error`} className="text-sm text-red-700 dark:text-red-400">
          {fieldErrors.on_error}
        </p>
      )}
    </fieldset>
  );
}

interface ControlProps {
  id: string;
  "aria-describedby": string | undefined;
  "aria-invalid": true | undefined;
}

function TextSetting(props: { label: string; path: string; error?: string | undefined; hint?: string; children: (p: ControlProps) => React.ReactNode }) {
  const { idFor } = usePanel();
  const id = idFor(props.path);
  const describedBy = [props.hint ? `${id}-hint` : "", props.error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium">
        {props.label}
      </label>
      {props.children({ id, "aria-describedby": describedBy, "aria-invalid": props.error ? true : undefined })}
      {props.hint && (
        <p id={`${id}-hint`} className="text-xs text-zinc-500 dark:text-zinc-400">
          {props.hint}
        </p>
      )}
      {props.error && (
        <p id={`${id}-error`} className="text-sm text-red-700 dark:text-red-400">
          {props.error}
        </p>
      )}
    </div>
  );
}

function NumberSetting(props: ControlProps & { value: number | null; min: number; max?: number; disabled: boolean; onChange: (v: number | null) => void }) {
  const { value, min, max, disabled, onChange, ...rest } = props;
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <input
      {...rest}
      type="number"
      className={fieldClass}
      min={min}
      max={max}
      step="any"
      disabled={disabled}
      value={draft ?? (value === null ? "" : String(value))}
      onChange={(e) => {
        setDraft(e.target.value);
        if (e.target.value.trim() === "") onChange(null);
        else if (Number.isFinite(Number(e.target.value))) onChange(Number(e.target.value));
      }}
      onBlur={() => setDraft(null)}
    />
  );
}

function RetrySettings({ node, set }: { node: DocNode; set: (patch: Partial<DocNode>) => void }) {
  const { readOnly, fieldErrors, idFor } = usePanel();
  const retry = node.retry ?? null;
  const on = retry !== null && (retry.max_attempts ?? 1) > 1;
  const setRetry = (patch: Partial<Retry>) => set({ retry: { ...RETRY_DEFAULTS, ...retry, ...patch } });
  return (
    <fieldset className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
      <legend className="px-1 text-sm font-medium">Retry</legend>
      <label className="flex items-center gap-2 text-sm">
        <input
          id={idFor("retry")}
          type="checkbox"
          className={`size-4 accent-indigo-600 ${focusRing}`}
          checked={on}
          disabled={readOnly}
          onChange={(e) => set({ retry: e.target.checked ? { ...RETRY_DEFAULTS, ...retry, max_attempts: Math.max(2, retry?.max_attempts ?? RETRY_DEFAULTS.max_attempts) } : null })}
        />
        Retry on failure
      </label>
      {fieldErrors.retry && <p className="text-sm text-red-700 dark:text-red-400">{fieldErrors.retry}</p>}
      {on &&
        (Object.keys(RETRY_BOUNDS) as (keyof typeof RETRY_BOUNDS)[]).map((key) => {
          const b = RETRY_BOUNDS[key];
          const value = retry?.[key] ?? RETRY_DEFAULTS[key];
          const local = value < b.min || value > b.max ? `Between ${b.min} and ${b.max}.` : undefined;
          return (
            <TextSetting key={key} label={b.label} path={`retry.${key}`} hint={b.hint} error={local ?? fieldErrors[`retry.${key}`]}>
              {(p) => <NumberSetting {...p} value={value} min={b.min} max={b.max} disabled={readOnly} onChange={(v) => setRetry({ [key]: v ?? RETRY_DEFAULTS[key] })} />}
            </TextSetting>
          );
        })}
      {on && (
        <label className="flex items-center gap-2 text-sm">
          <input
            id={idFor("retry.jitter")}
            type="checkbox"
            className={`size-4 accent-indigo-600 ${focusRing}`}
            checked={retry?.jitter ?? true}
            disabled={readOnly}
            onChange={(e) => setRetry({ jitter: e.target.checked })}
          />
          Randomise each wait (jitter)
        </label>
      )}
    </fieldset>
  );
}
