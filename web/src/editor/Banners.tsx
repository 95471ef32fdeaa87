/** Messages under the toolbar: the outcome of the last action, the save's errors that belong
 * to no node, and the version being viewed. */
import { Eye, X } from "lucide-react";

import { ErrorMessage } from "../components/ErrorMessage";
import { Button } from "../components/ui";
import type { Editor } from "./useEditor";

export function Banners({ editor, viewer, onBackToEditing }: { editor: Editor; viewer: boolean; onBackToEditing: () => void }) {
  const { notice, viewing, state } = editor;
  const general = state.generalErrors;
  return (
    <div className="empty:hidden">
      {viewer && (
        <p className="border-b border-zinc-200 bg-zinc-100 px-3 py-2 text-sm text-zinc-700 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-300">
          Read-only: your role (viewer) can look at workflows and their runs, not change or run them.
        </p>
      )}
      {viewing && (
        <div className="flex flex-wrap items-center gap-2 border-b border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          <Eye aria-hidden className="size-4" />
          <span className="flex-1">Viewing version {viewing.version} (read-only).</span>
          <Button onClick={() => void editor.restore(viewing.version)} disabled={editor.versionBusy}>
            Restore this version
          </Button>
          <Button variant="primary" onClick={onBackToEditing}>
            Back to editing
          </Button>
        </div>
      )}
      {notice && (
        <div className="flex items-start gap-2 border-b border-zinc-200 px-3 py-2 dark:border-zinc-800">
          <div className="flex-1">
            {notice.kind === "ok" ? (
              <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400">
                {notice.text}
              </p>
            ) : (
              <div role="alert" className="space-y-2">
                <p className="text-sm font-medium text-red-700 dark:text-red-300">{notice.text}</p>
                {notice.error != null && <ErrorMessage error={notice.error} />}
              </div>
            )}
          </div>
          <button type="button" aria-label="Dismiss the message" onClick={() => editor.setNotice(null)} className="rounded p-0.5 text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800">
            <X aria-hidden className="size-4" />
          </button>
        </div>
      )}
      {general.length > 0 && !notice?.error && (
        <ul className="border-b border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200">
          {general.map((e, i) => (
            <li key={`${e.field}-${i}`}>
              <code className="font-mono">{e.field || "document"}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
