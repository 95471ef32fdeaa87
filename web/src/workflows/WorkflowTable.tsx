import { Download, Play, Tags, Trash2 } from "lucide-react";
import { Link } from "react-router";

import { Button, focusRing, tableHeadClass, tableRowClass } from "../components/ui";
import { exportWorkflow, useSetActive, type WorkflowOut } from "./api";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export interface TableProps {
  rows: WorkflowOut[];
  onNotice: (message: string) => void;
  onError: (error: unknown) => void;
  onDelete: (w: WorkflowOut) => void;
  onExecute: (w: WorkflowOut) => void;
  onEditTags: (w: WorkflowOut) => void;
  /** A tag chip was chosen: filter the list by that tag. */
  onTag: (tag: string) => void;
}

export function WorkflowTable(props: TableProps) {
  const { rows, onNotice, onError, onDelete, onExecute, onEditTags, onTag } = props;
  const setActive = useSetActive();
  return (
    <div className="overflow-x-auto rounded-lg border border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900">
      <table className="w-full text-left text-sm">
        <thead className={tableHeadClass}>
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
            <tr key={w.id} className={tableRowClass}>
              <td className="px-4 py-2">
                <Link to={`/workflows/${w.id}`} className={`font-medium text-indigo-700 hover:underline dark:text-indigo-300 ${focusRing}`}>
                  {w.name}
                </Link>
                {w.description && <p className="text-xs text-zinc-500 dark:text-zinc-400">{w.description}</p>}
                {(w.tags ?? []).length > 0 && (
                  <ul aria-label={`Tags of ${w.name}`} className="mt-1 flex flex-wrap gap-1">
                    {(w.tags ?? []).map((tag) => (
                      <li key={tag}>
                        <button
                          type="button"
                          title={`Show the workflows tagged ${tag}`}
                          aria-label={`${tag}: filter by this tag`}
                          onClick={() => onTag(tag)}
                          className={`rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-800 hover:bg-indigo-100 dark:bg-indigo-950 dark:text-indigo-200 dark:hover:bg-indigo-900 ${focusRing}`}
                        >
                          {tag}
                        </button>
                      </li>
                    ))}
                  </ul>
                )}
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
                    aria-label={`Edit tags of ${w.name}`}
                    title="Edit tags"
                    onClick={() => onEditTags(w)}
                  >
                    <Tags aria-hidden className="size-4" />
                  </Button>
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
