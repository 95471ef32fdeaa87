import { Pencil, Save, Trash2 } from "lucide-react";
import { useId, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";

import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, Card, Field, focusRing, inputClass, tableHeadClass, tableRowClass } from "../components/ui";
import { useDayTotal, useDeleteLimit, useLimits, useSetLimit, useWorkflowChoices, type LimitIn, type LimitOut } from "./api";
import { formatCost, formatMoney, formatTokens, fromDay, limitUse } from "./format";

const linkClass = `font-medium text-indigo-700 hover:underline dark:text-indigo-300 ${focusRing}`;

/** What a limit applies to, in words: "Whole instance", the workflow's name, "project #3". */
export function scopeName(limit: Pick<LimitOut, "scope" | "label">): string {
  return limit.scope === "instance" ? "Whole instance" : limit.label;
}

/** What the form holds, as typed (the server checks the amount and the workflow). */
export interface LimitDraft {
  scope: "instance" | "workflow";
  workflowId: string;
  amount: string;
}

export function limitBody(d: LimitDraft): LimitIn {
  const daily_limit = d.amount.trim();
  if (d.scope === "instance") return { scope: "instance", daily_limit };
  return { scope: "workflow", scope_id: d.workflowId ? Number(d.workflowId) : null, daily_limit };
}

const EMPTY: LimitDraft = { scope: "instance", workflowId: "", amount: "" };

export function LimitsSection({ canChange }: { canChange: boolean }) {
  const limits = useLimits();
  const remove = useDeleteLimit();
  const [draft, setDraft] = useState<LimitDraft>(EMPTY);
  const [toRemove, setToRemove] = useState<LimitOut | null>(null);
  const [notice, setNotice] = useState("");
  const amountRef = useRef<HTMLInputElement>(null);
  const titleId = useId();

  function change(limit: LimitOut) {
    if (limit.scope === "project") return;
    setNotice("");
    setDraft({ scope: limit.scope, workflowId: limit.scope_id ? String(limit.scope_id) : "", amount: limit.daily_limit });
    amountRef.current?.focus();
  }

  return (
    <Card className="space-y-4 p-4!">
      <section aria-labelledby={titleId} className="space-y-4">
        <h2 id={titleId} className="text-lg font-semibold">
          Daily spending limits
        </h2>
        <p className="max-w-3xl text-sm text-zinc-600 dark:text-zinc-400">
          A limit caps what model calls may cost per UTC day, for the whole instance or one workflow. Once what
          its scope spent today reaches it, the next model call is not made: that step fails with an error
          naming the limit, until the next UTC day or until the limit is raised. Calls running at that moment
          can overshoot it a little: a brake, not an exact budget.
        </p>
        <TodayLine />
        {canChange && (
          <LimitForm
            draft={draft}
            limits={limits.data ?? []}
            amountRef={amountRef}
            onChange={setDraft}
            onSaved={(saved) => {
              setNotice(`Set the daily limit of ${scopeName(saved)} to ${formatMoney(saved.daily_limit)}.`);
              setDraft((d) => ({ ...d, amount: "" }));
            }}
          />
        )}
        <p role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
          {notice}
        </p>
        <ErrorMessage error={limits.error} title="Could not load the limits" />
        <ErrorMessage error={remove.error} title="Could not remove the limit" />
        {limits.data && limits.data.length === 0 && (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">No limits: model calls may spend without a cap.</p>
        )}
        {limits.data && limits.data.length > 0 && (
          <LimitTable limits={limits.data} canChange={canChange} onChange={change} onRemove={setToRemove} />
        )}
      </section>
      {toRemove && (
        <ConfirmDialog
          title={`Remove the daily limit of ${scopeName(toRemove)}?`}
          message="Its model calls may then spend without this cap (other limits still apply)."
          confirmLabel="Remove"
          busy={remove.isPending}
          onCancel={() => setToRemove(null)}
          onConfirm={() =>
            remove.mutate(toRemove.id, {
              onSuccess: () => setNotice(`Removed the daily limit of ${scopeName(toRemove)}.`),
              onSettled: () => setToRemove(null),
            })
          }
        />
      )}
    </Card>
  );
}

/** What the whole instance spent today (UTC), limit or not. */
function TodayLine() {
  const day = fromDay(1);
  const usage = useDayTotal(day);
  const total = usage.data?.total;
  if (usage.error) return <ErrorMessage error={usage.error} title="Could not load today's spend" />;
  if (!total) return null;
  const unpriced = total.unpriced_calls ?? 0;
  return (
    <p className="text-sm">
      Spent today ({day}, UTC) by the whole instance: <strong className="tabular-nums">{formatCost(total.cost ?? "0")}</strong>{" "}
      <span className="text-zinc-600 dark:text-zinc-400">
        · {formatTokens(total.calls ?? 0)} model call{total.calls === 1 ? "" : "s"}
        {unpriced > 0 ? ` (${unpriced} unpriced, not counted)` : ""}
      </span>
    </p>
  );
}

interface LimitTableProps {
  limits: LimitOut[];
  canChange: boolean;
  onChange: (limit: LimitOut) => void;
  onRemove: (limit: LimitOut) => void;
}

function LimitTable({ limits, canChange, onChange, onRemove }: LimitTableProps) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm">
        <caption className="sr-only">Daily spending limits</caption>
        <thead className={tableHeadClass}>
          <tr>
            <th scope="col" className="px-3 py-2 text-left">Applies to</th>
            <th scope="col" className="px-3 py-2 text-right">Daily limit</th>
            <th scope="col" className="px-3 py-2 text-right">Spent today (UTC)</th>
            <th scope="col" className="px-3 py-2 text-right">Used</th>
            {canChange && <th scope="col" className="px-3 py-2 text-right">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {limits.map((l) => {
            const name = scopeName(l);
            const use = limitUse(l.spent_today, l.daily_limit);
            return (
              <tr key={l.id} className={tableRowClass}>
                <th scope="row" className="px-3 py-2 text-left font-normal">
                  {l.scope === "workflow" && !l.label.startsWith("deleted workflow") ? (
                    <Link className={linkClass} to={`/workflows/${l.scope_id}`}>
                      {name}
                    </Link>
                  ) : (
                    name
                  )}
                  {l.scope === "project" && <span className="ml-2 text-xs text-zinc-600 dark:text-zinc-400">(projects are not used yet)</span>}
                </th>
                <td className="px-3 py-2 text-right tabular-nums">{formatMoney(l.daily_limit)}</td>
                <td className="px-3 py-2 text-right tabular-nums">{formatCost(l.spent_today)}</td>
                <td className={`px-3 py-2 text-right ${use === "reached" ? "font-semibold text-red-700 dark:text-red-400" : ""}`}>{use}</td>
                {canChange && (
                  <td className="px-3 py-2 text-right whitespace-nowrap">
                    {l.scope !== "project" && (
                      <Button variant="ghost" aria-label={`Change the limit of ${name}`} onClick={() => onChange(l)}>
                        <Pencil aria-hidden className="size-4" /> Change
                      </Button>
                    )}
                    <Button variant="ghost" aria-label={`Remove the limit of ${name}`} onClick={() => onRemove(l)}>
                      <Trash2 aria-hidden className="size-4 text-red-600" /> Remove
                    </Button>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface LimitFormProps {
  draft: LimitDraft;
  limits: LimitOut[];
  amountRef: React.RefObject<HTMLInputElement | null>;
  onChange: (draft: LimitDraft) => void;
  onSaved: (saved: LimitOut) => void;
}

function LimitForm({ draft, limits, amountRef, onChange, onSaved }: LimitFormProps) {
  const save = useSetLimit();
  const scopeId = useId();
  const current = limits.find((l) =>
    draft.scope === "instance" ? l.scope === "instance" : l.scope === "workflow" && String(l.scope_id) === draft.workflowId,
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(limitBody(draft), { onSuccess: onSaved });
  }

  return (
    <form onSubmit={submit} aria-label="Set a daily limit" className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-800">
      <h3 className="text-base font-semibold">Set a daily limit</h3>
      <div className="grid items-start gap-3 sm:grid-cols-2 xl:grid-cols-4">
        <div className="space-y-1">
          <label htmlFor={scopeId} className="block text-sm font-medium">
            Applies to
          </label>
          <select
            id={scopeId}
            className={inputClass}
            value={draft.scope}
            onChange={(e) => onChange({ ...draft, scope: e.target.value as LimitDraft["scope"] })}
          >
            <option value="instance">Whole instance</option>
            <option value="workflow">One workflow</option>
          </select>
        </div>
        {draft.scope === "workflow" && (
          <WorkflowPicker
            value={draft.workflowId}
            limits={limits}
            error={fieldError(save.error, "scope_id")}
            onChange={(workflowId) => onChange({ ...draft, workflowId })}
          />
        )}
        <Field
          ref={amountRef}
          label="Daily limit"
          value={draft.amount}
          inputMode="decimal"
          placeholder="5.00"
          autoComplete="off"
          error={fieldError(save.error, "daily_limit")}
          onChange={(e) => onChange({ ...draft, amount: e.target.value })}
        />
      </div>
      <ErrorMessage error={save.error} title="Could not set the limit" />
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" variant="primary" disabled={save.isPending}>
          <Save aria-hidden className="size-4" /> Set limit
        </Button>
        {current && (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Replaces the current limit of {scopeName(current)}: {formatMoney(current.daily_limit)} a day.
          </p>
        )}
      </div>
    </form>
  );
}

interface WorkflowPickerProps {
  value: string;
  limits: LimitOut[];
  error: string | undefined;
  onChange: (workflowId: string) => void;
}

/** Pick a workflow by name: a search (by the API, any number of workflows) and the choices. */
function WorkflowPicker({ value, limits, error, onChange }: WorkflowPickerProps) {
  const [search, setSearch] = useState("");
  const choices = useWorkflowChoices(search, true);
  const selectId = useId();
  const errorId = `${selectId}-error`;
  const options = (choices.data?.items ?? []).map((w) => ({ id: String(w.id), name: w.name }));
  // The workflow being changed stays a choice even when the search leaves it out.
  const chosen = limits.find((l) => l.scope === "workflow" && String(l.scope_id) === value);
  if (value && !options.some((o) => o.id === value)) options.push({ id: value, name: chosen?.label ?? `workflow #${value}` });
  options.sort((a, b) => a.name.localeCompare(b.name));
  const more = (choices.data?.total ?? 0) - (choices.data?.items.length ?? 0);
  return (
    <>
      <Field label="Find a workflow by name" type="search" value={search} autoComplete="off" onChange={(e) => setSearch(e.target.value)} />
      <div className="space-y-1">
        <label htmlFor={selectId} className="block text-sm font-medium">
          Workflow
        </label>
        <select
          id={selectId}
          className={inputClass}
          value={value}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          onChange={(e) => onChange(e.target.value)}
        >
          <option value="">{options.length ? "Choose a workflow…" : "No workflow found"}</option>
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
        {error && (
          <p id={errorId} className="text-sm text-red-600 dark:text-red-400">
            {error}
          </p>
        )}
        {more > 0 && <p className="text-xs text-zinc-600 dark:text-zinc-400">{more} more: narrow the search.</p>}
        <ErrorMessage error={choices.error} title="Could not load the workflows" />
      </div>
    </>
  );
}
