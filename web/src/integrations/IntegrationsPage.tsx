import { Pencil, PlugZap, Plus, Trash2 } from "lucide-react";
import { Link } from "react-router";

import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage } from "../components/ErrorMessage";
import { useEditPanel } from "../components/useEditPanel";
import { Button, focusRing, tableHeadClass, tableRowClass } from "../components/ui";
import { useIntegrationTypes, type IntegrationTypeOut } from "../integration-types/api";
import { typeLabel } from "../integration-types/IntegrationTypesPage";
import { PageTitle } from "../pages/Placeholder";
import {
  useDeleteIntegration,
  useIntegrations,
  useLastTests,
  useSetIntegrationActive,
  useTestConnection,
  type IntegrationOut,
} from "./api";
import { workflowsInUse } from "./inUse";
import { IntegrationForm } from "./IntegrationForm";
import { needsConnect } from "./oauth2";
import { OAuth2Cell, useOAuth2Connect } from "./OAuth2Connect";
import { testSummary } from "./TestResultView";

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

export function IntegrationsPage() {
  const list = useIntegrations();
  const types = useIntegrationTypes();
  const remove = useDeleteIntegration();
  const { newRef, editing, setEditing, toDelete, setToDelete, notice, actionError, close, report, fail } =
    useEditPanel<IntegrationOut>();

  const typeById = new Map((types.data ?? []).map((t) => [t.id, t] as const));
  const rows = [...(list.data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const noTypes = types.isSuccess && types.data.length === 0;

  return (
    <section className="space-y-5">
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle>Integrations</PageTitle>
        <div className="ml-auto">
          <Button
            ref={newRef}
            variant="primary"
            onClick={() => setEditing("new")}
            disabled={editing === "new" || !types.isSuccess || noTypes}
          >
            <Plus aria-hidden className="size-4" />
            New integration
          </Button>
        </div>
      </div>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Credentials for the services workflows talk to. Secrets are stored encrypted and never shown again.
      </p>
      {noTypes && (
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          There are no integration types yet: define one under{" "}
          <Link to="/integration-types" className={`text-indigo-600 underline dark:text-indigo-400 ${focusRing}`}>
            Integration types
          </Link>{" "}
          first.
        </p>
      )}

      {editing && types.data && (
        <IntegrationForm
          key={editing === "new" ? "new" : editing.id}
          types={types.data}
          editing={editing === "new" ? undefined : editing}
          onCancel={close}
          onSaved={(i, created) => {
            close();
            report(`${created ? "Created" : "Saved"} “${i.name}”.`);
          }}
        />
      )}

      <p role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
        {notice}
      </p>
      <ErrorMessage error={actionError} />
      {workflowsInUse(actionError).length > 0 && (
        <div className="text-sm">
          <p className="font-medium">Workflows using it:</p>
          <ul className="list-disc pl-6">
            {workflowsInUse(actionError).map((w) => (
              <li key={w.id}>
                <Link
                  to={`/workflows/${w.id}`}
                  className={`text-indigo-600 underline dark:text-indigo-400 ${focusRing}`}
                >
                  {w.name}
                </Link>{" "}
                <span className="text-zinc-500 dark:text-zinc-400">(id {w.id})</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <ErrorMessage error={list.error} title="Could not load integrations" />
      <ErrorMessage error={types.error} title="Could not load integration types" />

      {list.isPending ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading integrations…</p>
      ) : rows.length === 0 ? (
        <p className="rounded-lg border border-zinc-200 p-6 text-center text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          No integrations yet.
        </p>
      ) : (
        <IntegrationTable
          rows={rows}
          typeById={typeById}
          onNotice={report}
          onError={fail}
          onEdit={setEditing}
          onDelete={setToDelete}
        />
      )}

      {toDelete && (
        <ConfirmDialog
          title="Delete integration?"
          message={
            <>
              “{toDelete.name}” and its stored credentials will be deleted. Integrations used by workflows cannot be
              deleted.
            </>
          }
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() =>
            remove.mutate(toDelete.id, {
              onSuccess: () => {
                if (editing !== "new" && editing?.id === toDelete.id) setEditing(null);
                report(`Deleted “${toDelete.name}”.`);
              },
              onError: fail,
              onSettled: () => setToDelete(null),
            })
          }
        />
      )}
    </section>
  );
}

interface TableProps {
  rows: IntegrationOut[];
  typeById: Map<number, IntegrationTypeOut>;
  onNotice: (message: string) => void;
  onError: (error: unknown) => void;
  onEdit: (i: IntegrationOut) => void;
  onDelete: (i: IntegrationOut) => void;
}

function IntegrationTable({ rows, typeById, onNotice, onError, onEdit, onDelete }: TableProps) {
  const setActive = useSetIntegrationActive();
  const test = useTestConnection();
  const lastTests = useLastTests();
  const oauth = useOAuth2Connect((m) => {
    const name = rows.find((r) => r.id === m.integration_id)?.name;
    if (m.ok) onNotice(`Connected${name ? ` “${name}”` : ""}.`);
    else onError(new Error(`Could not connect: ${m.message}`));
  }, onError);
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <table className="w-full text-left text-sm">
        <thead className={tableHeadClass}>
          <tr>
            <th scope="col" className="px-4 py-2">Name</th>
            <th scope="col" className="px-4 py-2">Type</th>
            <th scope="col" className="px-4 py-2">Active</th>
            <th scope="col" className="px-4 py-2">Last test (this session)</th>
            <th scope="col" className="px-4 py-2 text-right">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((i) => {
            const t = typeById.get(i.integration_type_id);
            const last = lastTests.get(i.id);
            return (
              <tr key={i.id} className={tableRowClass}>
                <td className="px-4 py-2 font-medium">
                  {i.name}
                  <p className="text-xs font-normal text-zinc-500 dark:text-zinc-400">
                    {i.allowed_hosts === null || i.allowed_hosts === undefined
                      ? "hosts: default"
                      : i.allowed_hosts.length === 0
                        ? "hosts: none"
                        : `hosts: ${i.allowed_hosts.join(", ")}`}
                  </p>
                </td>
                <td className="px-4 py-2">
                  {t ? typeLabel(t) : i.type}
                  {needsConnect(t, i) && (
                    <div className="mt-1 text-xs">
                      <OAuth2Cell
                        integration={i}
                        pending={oauth.pending === i.id}
                        onConnect={() => void oauth.connect(i)}
                      />
                    </div>
                  )}
                </td>
                <td className="px-4 py-2">
                  <button
                    type="button"
                    role="switch"
                    aria-checked={i.active}
                    aria-label={`Active: ${i.name}`}
                    disabled={setActive.isPending}
                    onClick={() =>
                      setActive.mutate(
                        { id: i.id, active: !i.active },
                        {
                          onSuccess: (u) => onNotice(`“${u.name}” is now ${u.active ? "active" : "inactive"}.`),
                          onError,
                        },
                      )
                    }
                    className={`relative inline-flex h-5 w-9 items-center rounded-full transition ${focusRing} ${
                      i.active ? "bg-emerald-500" : "bg-zinc-300 dark:bg-zinc-700"
                    }`}
                  >
                    <span
                      aria-hidden
                      className={`inline-block size-4 rounded-full bg-white shadow transition ${i.active ? "translate-x-4" : "translate-x-0.5"}`}
                    />
                  </button>
                </td>
                <td className="px-4 py-2">
                  {last ? (
                    <span
                      title={last.message}
                      className={
                        !last.supported
                          ? "text-zinc-600 dark:text-zinc-400"
                          : last.ok
                            ? "text-emerald-700 dark:text-emerald-400"
                            : "text-red-700 dark:text-red-400"
                      }
                    >
                      {testSummary(last)} at {timeFormat.format(last.at)}
                    </span>
                  ) : (
                    <span className="text-zinc-500 dark:text-zinc-400">not tested</span>
                  )}
                </td>
                <td className="px-4 py-2">
                  <div className="flex justify-end gap-1">
                    <Button
                      variant="ghost"
                      aria-label={`Test connection of ${i.name}`}
                      title="Test connection"
                      disabled={test.isPending}
                      onClick={() =>
                        test.mutate(
                          { integration_id: i.id },
                          {
                            onSuccess: (r) => onNotice(`Connection test of “${i.name}”: ${testSummary(r)}: ${r.message}`),
                            onError,
                          },
                        )
                      }
                    >
                      <PlugZap aria-hidden className="size-4" />
                      Test
                    </Button>
                    <Button variant="ghost" aria-label={`Edit ${i.name}`} title="Edit" onClick={() => onEdit(i)}>
                      <Pencil aria-hidden className="size-4" />
                    </Button>
                    <Button variant="ghost" aria-label={`Delete ${i.name}`} title="Delete" onClick={() => onDelete(i)}>
                      <Trash2 aria-hidden className="size-4 text-red-600" />
                    </Button>
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
