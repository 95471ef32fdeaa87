import { Download, FileUp, Play, Plus, Trash2 } from "lucide-react";
import { useDeferredValue, useId, useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router";

import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, focusRing, inputClass } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import {
  PAGE_SIZE,
  exportWorkflow,
  useCreateWorkflow,
  useDeleteWorkflow,
  useSetActive,
  useWorkflows,
  type WorkflowOut,
} from "./api";
import { ExecuteDialog } from "./ExecuteDialog";
import { ImportPanel } from "./ImportPanel";
import { filterWorkflows, sortWorkflows, type ActiveFilter, type SortKey } from "./listing";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function WorkflowsPage() {
  const [search, setSearch] = useState("");
  const [active, setActive] = useState<ActiveFilter>("all");
  const [sort, setSort] = useState<SortKey>("updated");
  const [showImport, setShowImport] = useState(false);
  const [notice, setNotice] = useState("");
  const [actionError, setActionError] = useState<unknown>(null);
  const [toDelete, setToDelete] = useState<WorkflowOut | null>(null);
  const [toExecute, setToExecute] = useState<WorkflowOut | null>(null);
  const deferredSearch = useDeferredValue(search);
  const list = useWorkflows(deferredSearch, active);
  const remove = useDeleteWorkflow();
  const ids = { search: useId(), status: useId(), sort: useId() };

  // The server filters by name and status; filtering again keeps the list right while the
  // next page loads, and sorting is ours.
  const rows = useMemo(
    () => sortWorkflows(filterWorkflows(list.data?.items ?? [], search, active), sort),
    [list.data, search, active, sort],
  );

  function report(message: string) {
    setActionError(null);
    setNotice(message);
  }

  function fail(error: unknown) {
    setNotice("");
    setActionError(error);
  }

  return (
    <section className="space-y-5">
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle>Workflows</PageTitle>
        <div className="ml-auto flex gap-2">
          <Button onClick={() => setShowImport((v) => !v)} aria-expanded={showImport}>
            <FileUp aria-hidden className="size-4" />
            Import
          </Button>
        </div>
      </div>

      <CreateWorkflow onCreated={(w) => report(`Created “${w.name}”.`)} />
      {showImport && (
        <ImportPanel
          onImported={(w) => {
            setShowImport(false);
            report(`Imported “${w.name}”.`);
          }}
        />
      )}

      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-48 flex-1">
          <label htmlFor={ids.search} className="mb-1 block text-sm font-medium">
            Search
          </label>
          <input
            id={ids.search}
            type="search"
            placeholder="Name contains…"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            className={inputClass}
          />
        </div>
        <div>
          <label htmlFor={ids.status} className="mb-1 block text-sm font-medium">
            Status
          </label>
          <select
            id={ids.status}
            value={active}
            onChange={(e) => setActive(e.target.value as ActiveFilter)}
            className={inputClass}
          >
            <option value="all">All</option>
            <option value="active">Active</option>
            <option value="inactive">Inactive</option>
          </select>
        </div>
        <div>
          <label htmlFor={ids.sort} className="mb-1 block text-sm font-medium">
            Sort by
          </label>
          <select
            id={ids.sort}
            value={sort}
            onChange={(e) => setSort(e.target.value as SortKey)}
            className={inputClass}
          >
            <option value="updated">Last changed</option>
            <option value="created">Newest</option>
            <option value="name">Name</option>
          </select>
        </div>
      </div>

      <p role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
        {notice}
      </p>
      <ErrorMessage error={actionError} />
      <ErrorMessage error={list.error} title="Could not load workflows" />

      {list.isPending ? (
        <p className="text-sm text-zinc-500">Loading workflows…</p>
      ) : rows.length === 0 ? (
        <p className="rounded-lg border border-zinc-200 p-6 text-center text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          {search || active !== "all" ? "No workflow matches." : "No workflows yet: create or import one."}
        </p>
      ) : (
        <WorkflowTable
          rows={rows}
          onNotice={report}
          onError={fail}
          onDelete={setToDelete}
          onExecute={setToExecute}
        />
      )}
      {(list.data?.total ?? 0) > PAGE_SIZE && (
        <p className="text-sm text-zinc-500">
          Showing the {PAGE_SIZE} most recently changed of {list.data?.total}; search to narrow down.
        </p>
      )}

      {toExecute && (
        <ExecuteDialog
          workflow={toExecute}
          onClose={() => setToExecute(null)}
          onStarted={(e) => report(`Execution ${e.id} of “${toExecute.name}”: ${e.status}.`)}
        />
      )}
      {toDelete && (
        <ConfirmDialog
          title="Delete workflow?"
          message={
            <>
              “{toDelete.name}” and its versions will be deleted. This cannot be undone.
            </>
          }
          confirmLabel="Delete"
          busy={remove.isPending}
          onCancel={() => setToDelete(null)}
          onConfirm={() =>
            remove.mutate(toDelete.id, {
              onSuccess: () => report(`Deleted “${toDelete.name}”.`),
              onError: fail,
              onSettled: () => setToDelete(null),
            })
          }
        />
      )}
    </section>
  );
}

function CreateWorkflow({ onCreated }: { onCreated: (w: WorkflowOut) => void }) {
  const create = useCreateWorkflow();
  const [name, setName] = useState("");
  const id = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(name.trim(), {
      onSuccess: (w) => {
        setName("");
        onCreated(w);
      },
    });
  }
  return (
    <form onSubmit={submit} className="space-y-2" aria-label="Create a workflow">
      <label htmlFor={id} className="block text-sm font-medium">
        New workflow
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="Name"
          className={`${inputClass} max-w-sm`}
          aria-invalid={fieldError(create.error, "name") ? true : undefined}
        />
        <Button type="submit" variant="primary" disabled={!name.trim() || create.isPending}>
          <Plus aria-hidden className="size-4" />
          Create
        </Button>
      </div>
      <ErrorMessage error={create.error} title="Could not create" />
    </form>
  );
}

interface TableProps {
  rows: WorkflowOut[];
  onNotice: (message: string) => void;
  onError: (error: unknown) => void;
  onDelete: (w: WorkflowOut) => void;
  onExecute: (w: WorkflowOut) => void;
}

function WorkflowTable({ rows, onNotice, onError, onDelete, onExecute }: TableProps) {
  const setActive = useSetActive();
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-zinc-200 text-xs uppercase text-zinc-500 dark:border-zinc-800">
          <tr>
            <th scope="col" className="px-4 py-2">Name</th>
            <th scope="col" className="px-4 py-2">Active</th>
            <th scope="col" className="px-4 py-2">Version</th>
            <th scope="col" className="px-4 py-2">Last changed</th>
            <th scope="col" className="px-4 py-2 text-right">Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => (
            <tr key={w.id} className="border-b border-zinc-100 last:border-0 dark:border-zinc-800">
              <td className="px-4 py-2">
                <Link to={`/workflows/${w.id}`} className={`font-medium text-indigo-700 hover:underline dark:text-indigo-300 ${focusRing}`}>
                  {w.name}
                </Link>
                {w.description && <p className="text-xs text-zinc-500">{w.description}</p>}
              </td>
              <td className="px-4 py-2">
                <button
                  type="button"
                  role="switch"
                  aria-checked={w.active}
                  aria-label={`Active: ${w.name}`}
                  disabled={setActive.isPending}
                  onClick={() =>
                    setActive.mutate(
                      { id: w.id, active: !w.active },
                      {
                        onSuccess: (u) => onNotice(`“${u.name}” is now ${u.active ? "active" : "inactive"}.`),
                        onError,
                      },
                    )
                  }
                  className={`relative inline-flex h-5 w-9 items-center rounded-full transition ${focusRing} ${
                    w.active ? "bg-emerald-500" : "bg-zinc-300 dark:bg-zinc-700"
                  }`}
                >
                  <span
                    aria-hidden
                    className={`inline-block size-4 rounded-full bg-white shadow transition ${w.active ? "translate-x-4" : "translate-x-0.5"}`}
                  />
                </button>
              </td>
              <td className="px-4 py-2 tabular-nums">{w.version}</td>
              <td className="px-4 py-2 whitespace-nowrap">{dateFormat.format(new Date(w.updated_at))}</td>
              <td className="px-4 py-2">
                <div className="flex justify-end gap-1">
                  <Button
                    variant="ghost"
                    aria-label={`Execute ${w.name}`}
                    title="Execute"
                    onClick={() => onExecute(w)}
                  >
                    <Play aria-hidden className="size-4" />
                  </Button>
                  <Button
                    variant="ghost"
                    aria-label={`Export ${w.name} as YAML`}
                    title="Export as YAML"
                    onClick={() => exportWorkflow(w, "yaml").catch(onError)}
                  >
                    <Download aria-hidden className="size-4" />
                    YAML
                  </Button>
                  <Button
                    variant="ghost"
                    aria-label={`Export ${w.name} as JSON`}
                    title="Export as JSON"
                    onClick={() => exportWorkflow(w, "json").catch(onError)}
                  >
                    <Download aria-hidden className="size-4" />
                    JSON
                  </Button>
                  <Button variant="ghost" aria-label={`Delete ${w.name}`} title="Delete" onClick={() => onDelete(w)}>
                    <Trash2 aria-hidden className="size-4 text-red-600" />
                  </Button>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
