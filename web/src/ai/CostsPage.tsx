import { Pencil, Plus, Save, Trash2 } from "lucide-react";
import { useId, useState, type FormEvent } from "react";

import { toApiError } from "../api/errors";
import { useMe } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, Card, Field, tableHeadClass, tableRowClass } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import { canChangeCosts, useCreatePrice, useDeletePrice, usePrices, useUpdatePrice, type PriceIn, type PriceOut } from "./api";
import { formatMoney } from "./format";
import { LimitsSection } from "./LimitsSection";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The AI costs page: the price table and the daily spending limits. Owners and admins
 * change them; everyone else reads them. */
export function CostsPage() {
  const canChange = canChangeCosts(useMe().data?.role);
  return (
    <section className="space-y-6">
      <PageTitle>AI costs</PageTitle>
      <p className="max-w-3xl text-sm text-zinc-600 dark:text-zinc-400">
        What AI nodes' model calls cost, and how much they may spend per day. Prices and costs are in your
        price table's currency (the built-in prices are US dollars).
        {!canChange && " Only owners and admins change prices and limits."}
      </p>
      <PricesSection canChange={canChange} />
      <LimitsSection canChange={canChange} />
    </section>
  );
}

type Editing = { kind: "new" } | { kind: "edit"; price: PriceOut } | null;

function PricesSection({ canChange }: { canChange: boolean }) {
  const prices = usePrices();
  const remove = useDeletePrice();
  const [editing, setEditing] = useState<Editing>(null);
  const [toDelete, setToDelete] = useState<PriceOut | null>(null);
  const [notice, setNotice] = useState("");
  const titleId = useId();
  return (
    <Card className="space-y-4 p-4!">
      <section aria-labelledby={titleId} className="space-y-4">
        <div className="flex flex-wrap items-center gap-3">
          <h2 id={titleId} className="text-lg font-semibold">
            Price table
          </h2>
          {canChange && editing === null && (
            <Button variant="primary" className="ml-auto" onClick={() => {
                setNotice("");
                setEditing({ kind: "new" });
              }}>
              <Plus aria-hidden className="size-4" /> Add price
            </Button>
          )}
        </div>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Per million tokens, in and out. A model without its own row is priced by the longest priced name it
          starts with followed by “-” (<code className="font-mono">gpt-4o-2024-08-06</code> costs what{" "}
          <code className="font-mono">gpt-4o</code> costs); a model with no price is counted, its cost left
          out.
        </p>
        {editing && (
          <PriceForm
            key={editing.kind === "edit" ? editing.price.id : "new"}
            price={editing.kind === "edit" ? editing.price : null}
            onDone={(saved) => {
              setEditing(null);
              if (saved) setNotice(`Saved the price of ${saved.provider}/${saved.model}.`);
            }}
          />
        )}
        <p role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
          {notice}
        </p>
        <ErrorMessage error={prices.error} title="Could not load the prices" />
        <ErrorMessage error={remove.error} title="Could not delete the price" />
        {prices.data && prices.data.length === 0 && (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">No prices: every model call is unpriced.</p>
        )}
        {prices.data && prices.data.length > 0 && (
          <PriceTable
            prices={prices.data}
            canChange={canChange}
            onEdit={(price) => {
              setNotice("");
              setEditing({ kind: "edit", price });
            }}
            onDelete={setToDelete}
          />
        )}
      </section>
      {toDelete && (
        <ConfirmDialog
          title={`Delete the price of ${toDelete.provider}/${toDelete.model}?`}
          message="Its calls are then unpriced (their cost left out of totals and limits) until it has a price again. Costs already recorded stay."
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() =>
            remove.mutate(toDelete.id, {
              onSuccess: () => setNotice(`Deleted the price of ${toDelete.provider}/${toDelete.model}.`),
              onSettled: () => setToDelete(null),
            })
          }
        />
      )}
    </Card>
  );
}

interface PriceTableProps {
  prices: PriceOut[];
  canChange: boolean;
  onEdit: (price: PriceOut) => void;
  onDelete: (price: PriceOut) => void;
}

function PriceTable({ prices, canChange, onEdit, onDelete }: PriceTableProps) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm">
        <caption className="sr-only">Prices per million tokens</caption>
        <thead className={tableHeadClass}>
          <tr>
            <th scope="col" className="px-3 py-2 text-left">Provider</th>
            <th scope="col" className="px-3 py-2 text-left">Model</th>
            <th scope="col" className="px-3 py-2 text-right">Input per 1M tokens</th>
            <th scope="col" className="px-3 py-2 text-right">Output per 1M tokens</th>
            <th scope="col" className="px-3 py-2 text-left">Updated</th>
            {canChange && <th scope="col" className="px-3 py-2 text-right">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {prices.map((p) => {
            const name = `${p.provider}/${p.model}`;
            return (
              <tr key={p.id} className={tableRowClass}>
                <td className="px-3 py-2">{p.provider}</td>
                <th scope="row" className="px-3 py-2 text-left font-mono font-normal whitespace-nowrap">{p.model}</th>
                <td className="px-3 py-2 text-right tabular-nums">{formatMoney(p.input_per_million)}</td>
                <td className="px-3 py-2 text-right tabular-nums">{formatMoney(p.output_per_million)}</td>
                <td className="px-3 py-2 whitespace-nowrap">{dateFormat.format(new Date(p.updated_at))}</td>
                {canChange && (
                  <td className="px-3 py-2 text-right whitespace-nowrap">
                    <Button variant="ghost" aria-label={`Edit ${name}`} onClick={() => onEdit(p)}>
                      <Pencil aria-hidden className="size-4" /> Edit
                    </Button>
                    <Button variant="ghost" aria-label={`Delete ${name}`} onClick={() => onDelete(p)}>
                      <Trash2 aria-hidden className="size-4 text-red-600" /> Delete
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

/** What the price form holds, as typed (the server checks the numbers). */
export interface PriceDraft {
  provider: string;
  model: string;
  input: string;
  output: string;
}

export function priceBody(d: PriceDraft): PriceIn {
  return { provider: d.provider.trim(), model: d.model.trim(), input_per_million: d.input.trim(), output_per_million: d.output.trim() };
}

function PriceForm({ price, onDone }: { price: PriceOut | null; onDone: (saved: PriceOut | null) => void }) {
  const create = useCreatePrice();
  const update = useUpdatePrice();
  const [draft, setDraft] = useState<PriceDraft>(
    price
      ? { provider: price.provider, model: price.model, input: price.input_per_million, output: price.output_per_million }
      : { provider: "", model: "", input: "", output: "" },
  );
  const error = price ? update.error : create.error;
  const busy = create.isPending || update.isPending;
  // A 409 (the model has a price already) is about the provider and model: say so there.
  const conflict = error && toApiError(error).status === 409 ? toApiError(error).message : undefined;
  const title = price ? `Edit the price of ${price.provider}/${price.model}` : "Add a price";

  function submit(event: FormEvent) {
    event.preventDefault();
    const body = priceBody(draft);
    if (price) update.mutate({ id: price.id, body }, { onSuccess: onDone });
    else create.mutate(body, { onSuccess: onDone });
  }

  return (
    <form
      onSubmit={submit}
      aria-label={title}
      className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-800"
    >
      <h3 className="text-base font-semibold">{title}</h3>
      <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
        <Field
          label="Provider"
          // The form opens above the table: take the focus there (and into view).
          autoFocus
          value={draft.provider}
          placeholder="openai"
          autoComplete="off"
          error={fieldError(error, "provider")}
          onChange={(e) => setDraft({ ...draft, provider: e.target.value })}
        />
        <Field
          label="Model"
          value={draft.model}
          placeholder="gpt-4o-mini"
          autoComplete="off"
          error={fieldError(error, "model") ?? conflict}
          onChange={(e) => setDraft({ ...draft, model: e.target.value })}
        />
        <Field
          label="Input price per million tokens"
          value={draft.input}
          inputMode="decimal"
          placeholder="0.15"
          autoComplete="off"
          error={fieldError(error, "input_per_million")}
          onChange={(e) => setDraft({ ...draft, input: e.target.value })}
        />
        <Field
          label="Output price per million tokens"
          value={draft.output}
          inputMode="decimal"
          placeholder="0.60"
          autoComplete="off"
          error={fieldError(error, "output_per_million")}
          onChange={(e) => setDraft({ ...draft, output: e.target.value })}
        />
      </div>
      <ErrorMessage error={error} title="Could not save the price" />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={busy}>
          <Save aria-hidden className="size-4" /> {price ? "Save price" : "Add price"}
        </Button>
        <Button onClick={() => onDone(null)} disabled={busy}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
