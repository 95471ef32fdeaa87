import { FileUp, Plus } from "lucide-react";
import { useDeferredValue, useId, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { Link, useSearchParams } from "react-router";

import { ConfirmDialog } from "../components/ConfirmDialog";
import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, inputClass } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import {
  PAGE_SIZE,
  useCreateWorkflow,
  useDeleteWorkflow,
  useWorkflows,
  useWorkflowTags,
  type WorkflowOut,
} from "./api";
import { ExecuteDialog } from "./ExecuteDialog";
import { ImportPanel } from "./ImportPanel";
import { ListControls } from "./ListControls";
import { filterWorkflows, readTags, sortWorkflows, withTags, type ActiveFilter, type SortKey } from "./listing";
import { TagsDialog } from "./TagsDialog";
import { WorkflowTable } from "./WorkflowTable";

export function WorkflowsPage() {
  const [search, setSearch] = useState("");
  const [active, setActive] = useState<ActiveFilter>("all");
  const [sort, setSort] = useState<SortKey>("updated");
  const [showImport, setShowImport] = useState(false);
  const [notice, setNotice] = useState<ReactNode>("");
  const [actionError, setActionError] = useState<unknown>(null);
  const [toDelete, setToDelete] = useState<WorkflowOut | null>(null);
  const [toExecute, setToExecute] = useState<WorkflowOut | null>(null);
  const [toTag, setToTag] = useState<WorkflowOut | null>(null);
  // The tag filter lives in the address (`?tag=a&tag=b`), so it can be linked to.
  const [params, setParams] = useSearchParams();
  const tags = useMemo(() => readTags(params), [params]);
  const deferredSearch = useDeferredValue(search);
  const list = useWorkflows(deferredSearch, active, tags);
  const allTags = useWorkflowTags();
  const remove = useDeleteWorkflow();

  // The server filters by name, status and tags; filtering again keeps the list right while
  // the next page loads, and sorting is ours.
  const rows = useMemo(
    () => sortWorkflows(filterWorkflows(list.data?.items ?? [], search, active, tags), sort),
    [list.data, search, active, tags, sort],
  );

  function setTags(next: string[]) {
    setParams(withTags(params, next), { replace: true });
  }

  function report(message: ReactNode) {
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

      <ListControls
        search={search}
        active={active}
        sort={sort}
        onSearch={setSearch}
        onActive={setActive}
        onSort={setSort}
        tags={tags}
        allTags={allTags.data ?? []}
        onTags={setTags}
      />

      <p role="status" aria-live="polite" className="min-h-5 text-sm text-emerald-700 dark:text-emerald-400">
        {notice}
      </p>
      <ErrorMessage error={actionError} />
      <ErrorMessage error={list.error} title="Could not load workflows" />

      {list.isPending ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading workflows…</p>
      ) : rows.length === 0 ? (
        <p className="rounded-lg border border-zinc-200 p-6 text-center text-sm text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
          {search || active !== "all" || tags.length ? "No workflow matches." : "No workflows yet: create or import one."}
        </p>
      ) : (
        <WorkflowTable
          rows={rows}
          onNotice={report}
          onError={fail}
          onDelete={setToDelete}
          onExecute={setToExecute}
          onEditTags={setToTag}
          onTag={(tag) => !tags.includes(tag) && setTags([...tags, tag])}
        />
      )}
      {(list.data?.total ?? 0) > PAGE_SIZE && (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">
          Showing the {PAGE_SIZE} most recently changed of {list.data?.total}; search to narrow down.
        </p>
      )}

      {toExecute && (
        <ExecuteDialog
          workflow={toExecute}
          onClose={() => setToExecute(null)}
          onStarted={(e) =>
            report(
              <>
                Execution{" "}
                <Link className="underline" to={`/executions/${encodeURIComponent(e.id)}`}>
                  {e.id}
                </Link>{" "}
                of “{toExecute.name}”: {e.status}.{" "}
                <Link className="underline" to={`/executions?workflow_id=${toExecute.id}`}>
                  All its executions
                </Link>
              </>,
            )
          }
        />
      )}
      {toTag && (
        <TagsDialog
          workflow={toTag}
          suggestions={(allTags.data ?? []).map((t) => t.tag)}
          onClose={() => setToTag(null)}
          onSaved={(w) => report(`Saved the tags of “${w.name}”.`)}
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
