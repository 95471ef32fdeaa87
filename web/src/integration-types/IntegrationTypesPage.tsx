import { FileUp, Pencil, Plus, Trash2 } from "lucide-react";
import { useState } from "react";

import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { useEditPanel } from "../components/useEditPanel";
import { Button } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import { useDeleteType, useIntegrationTypes, type IntegrationTypeOut, type ParameterOut } from "./api";
import { AUTH_LABELS, type AuthKind } from "./httpSpec";
import { OpenApiImportDialog } from "./OpenApiImportDialog";
import { TypeForm } from "./TypeForm";

export function typeLabel(t: IntegrationTypeOut): string {
  return t.display_name || t.key;
}

/** The catalogue of integration types (built-in and custom); custom ones are created,
 * edited and deleted here. */
export function IntegrationTypesPage() {
  const list = useIntegrationTypes();
  const remove = useDeleteType();
  const { newRef, editing, setEditing, toDelete, setToDelete, notice, actionError, close, report, fail } =
    useEditPanel<IntegrationTypeOut>();
  const [importing, setImporting] = useState(false);

  const types = [...(list.data ?? [])].sort(
    (a, b) => Number(b.builtin) - Number(a.builtin) || typeLabel(a).localeCompare(typeLabel(b)),
  );

  return (
    <section className="space-y-5">
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle>Integration types</PageTitle>
        <div className="ml-auto flex gap-2">
          <Button onClick={() => setImporting(true)}>
            <FileUp aria-hidden className="size-4" />
            Import OpenAPI
          </Button>
          <Button ref={newRef} variant="primary" onClick={() => setEditing("new")} disabled={editing === "new"}>
            <Plus aria-hidden className="size-4" />
            New type
          </Button>
        </div>
      </div>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        A type says which credential fields its integrations hold and which actions workflow steps can run with them.
      </p>

      {editing && (
        <TypeForm
          key={editing === "new" ? "new" : editing.id}
          editing={editing === "new" ? undefined : editing}
          onCancel={close}
          onSaved={(t, created) => {
            close();
            report(`${created ? "Created" : "Saved"} “${typeLabel(t)}” (key ${t.key}).`);
          }}
        />
      )}

      <p role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
        {notice}
      </p>
      <ErrorMessage error={actionError} />
      <ErrorMessage error={list.error} title="Could not load integration types" />

      {list.isPending ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading integration types…</p>
      ) : types.length === 0 ? (
        <p className="rounded-lg border border-zinc-200 p-6 text-center text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          No integration types yet: create one.
        </p>
      ) : (
        <ul className="space-y-4" aria-label="Integration types">
          {types.map((t) => (
            <li key={t.id}>
              <TypeCard
                type={t}
                onEdit={() => setEditing(t)}
                onDelete={() => setToDelete(t)}
              />
            </li>
          ))}
        </ul>
      )}

      {importing && (
        <OpenApiImportDialog
          onClose={() => setImporting(false)}
          onOpen={(t) => {
            setImporting(false);
            setEditing(t);
          }}
        />
      )}

      {toDelete && (
        <ConfirmDialog
          title="Delete integration type?"
          message={
            <>
              “{typeLabel(toDelete)}” (key <code>{toDelete.key}</code>) will be deleted. Types still used by integrations
              cannot be deleted.
            </>
          }
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() =>
            remove.mutate(toDelete.id, {
              onSuccess: () => {
                if (editing !== "new" && editing?.id === toDelete.id) setEditing(null);
                report(`Deleted “${typeLabel(toDelete)}”.`);
              },
              onError: (e) => {
                fail(e);
              },
              onSettled: () => setToDelete(null),
            })
          }
        />
      )}
    </section>
  );
}

function TypeCard({ type: t, onEdit, onDelete }: { type: IntegrationTypeOut; onEdit: () => void; onDelete: () => void }) {
  const label = typeLabel(t);
  const headingId = `type-${t.id}`;
  return (
    <article
      aria-labelledby={headingId}
      className="space-y-3 rounded-lg border border-zinc-200 bg-white p-4 dark:border-zinc-800 dark:bg-zinc-900"
    >
      <div className="flex flex-wrap items-start gap-2">
        <div className="min-w-0">
          <h2 id={headingId} className="text-lg font-semibold">
            {label}
          </h2>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            key <code className="font-mono">{t.key}</code>
            {" · "}
            <span>{t.builtin ? "built in" : "custom"}</span>
            {t.has_tester && " · connection test available"}
          </p>
          {t.description && <p className="mt-1 text-sm text-zinc-700 dark:text-zinc-300">{t.description}</p>}
        </div>
        {!t.builtin && (
          <div className="ml-auto flex gap-1">
            <Button variant="ghost" aria-label={`Edit ${label}`} onClick={onEdit}>
              <Pencil aria-hidden className="size-4" />
              Edit
            </Button>
            <Button variant="ghost" aria-label={`Delete ${label}`} onClick={onDelete}>
              <Trash2 aria-hidden className="size-4 text-red-600" />
              Delete
            </Button>
          </div>
        )}
      </div>
      {t.http && <HttpSummary http={t.http} />}
      <div>
        <h3 className="text-sm font-semibold">Credential fields</h3>
        <ParamTable params={t.parameters} caption={`Credential fields of ${label}`} />
      </div>
      <div>
        <h3 className="text-sm font-semibold">Actions</h3>
        {t.actions.length === 0 ? (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">None.</p>
        ) : (
          <ul className="space-y-2">
            {t.actions.map((a) => (
              <li key={a.name} className="text-sm">
                <code className="font-mono">
                  {t.key}.{a.name}
                </code>
                {a.display_name && ` — ${a.display_name}`}
                {a.description && <span className="text-zinc-600 dark:text-zinc-400">: {a.description}</span>}
                {a.request && (
                  <span className="block font-mono text-xs text-indigo-700 dark:text-indigo-300">
                    {String(a.request.method ?? "GET")} {String(a.request.path ?? "/")}
                  </span>
                )}
                {a.parameters.length > 0 && (
                  <span className="block text-xs text-zinc-500 dark:text-zinc-400">
                    parameters: {a.parameters.map((p) => `${p.name} (${p.type}${p.required ? ", required" : ""})`).join(", ")}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
    </article>
  );
}

function HttpSummary({ http }: { http: Record<string, unknown> }) {
  const auth = (http.auth ?? {}) as Record<string, unknown>;
  const kind = String(auth.kind ?? "none");
  return (
    <p className="text-sm text-zinc-700 dark:text-zinc-300">
      HTTP: <code className="font-mono">{String(http.base_url ?? "")}</code>
      {" · auth: "}
      {AUTH_LABELS[kind as AuthKind] ?? kind}
      {typeof auth.name === "string" && auth.name ? ` (${auth.name})` : ""}
    </p>
  );
}

function ParamTable({ params, caption }: { params: ParameterOut[]; caption: string }) {
  if (params.length === 0) return <p className="text-sm text-zinc-500 dark:text-zinc-400">None.</p>;
  return (
    // A table wider than the card scrolls: focusable, so keyboard users can scroll it too.
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label={caption}>
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="text-xs uppercase text-zinc-500 dark:text-zinc-400">
          <tr>
            <th scope="col" className="py-1 pr-4">Name</th>
            <th scope="col" className="py-1 pr-4">Type</th>
            <th scope="col" className="py-1 pr-4">Required</th>
            <th scope="col" className="py-1 pr-4">Default</th>
            <th scope="col" className="py-1">Description</th>
          </tr>
        </thead>
        <tbody>
          {params.map((p) => (
            <tr key={p.name} className="border-t border-zinc-100 dark:border-zinc-800">
              <td className="py-1 pr-4 font-mono">{p.name}</td>
              <td className="py-1 pr-4">
                {p.type}
                {p.type === "select" && p.options && ` (${p.options.join(", ")})`}
              </td>
              <td className="py-1 pr-4">{p.required ? "yes" : "no"}</td>
              <td className="py-1 pr-4 font-mono">
                {p.default === undefined || p.default === null ? "" : JSON.stringify(p.default)}
              </td>
              <td className="py-1">{p.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
