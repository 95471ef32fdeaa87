/** Version history: every saved version, newest first; view one on the canvas (read-only)
 * or restore it (it becomes the editor's document: save to make it the newest version). */
import { Eye, RotateCcw } from "lucide-react";

import { ErrorMessage } from "../components/ErrorMessage";
import { Button } from "../components/ui";
import { useVersions } from "./api";
import { Dialog } from "./Dialog";

const when = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export interface VersionsDialogProps {
  workflowId: number;
  current: number;
  busy: boolean;
  error: unknown;
  onView: (version: number) => void;
  onRestore: (version: number) => void;
  onClose: () => void;
}

export function VersionsDialog({ workflowId, current, busy, error, onView, onRestore, onClose }: VersionsDialogProps) {
  const versions = useVersions(workflowId, true);
  return (
    <Dialog title="Version history" onClose={onClose} wide>
      <ErrorMessage error={versions.error ?? error} title="Could not load the version" />
      {versions.isPending && <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading…</p>}
      {versions.data && (
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Saved versions, newest first</caption>
          <thead className="text-xs uppercase text-zinc-500 dark:text-zinc-400">
            <tr>
              <th scope="col" className="py-1 pr-3">Version</th>
              <th scope="col" className="py-1 pr-3">Saved</th>
              <th scope="col" className="py-1 pr-3">Name</th>
              <th scope="col" className="py-1 text-right">Actions</th>
            </tr>
          </thead>
          <tbody>
            {versions.data.map((v) => (
              <tr key={v.version} className="border-t border-zinc-100 dark:border-zinc-800">
                <th scope="row" className="py-1.5 pr-3 font-medium tabular-nums">
                  {v.version}
                  {v.version === current && <span className="ml-2 rounded bg-emerald-100 px-1.5 text-xs font-normal text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100">current</span>}
                </th>
                <td className="py-1.5 pr-3 whitespace-nowrap">{when.format(new Date(v.created_at))}</td>
                <td className="max-w-48 truncate py-1.5 pr-3">{v.name}</td>
                <td className="py-1.5 text-right whitespace-nowrap">
                  <Button variant="ghost" disabled={busy} aria-label={`View version ${v.version}`} onClick={() => onView(v.version)}>
                    <Eye aria-hidden className="size-4" />
                    View
                  </Button>
                  <Button variant="ghost" disabled={busy || v.version === current} aria-label={`Restore version ${v.version}`} onClick={() => onRestore(v.version)}>
                    <RotateCcw aria-hidden className="size-4" />
                    Restore
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Dialog>
  );
}
