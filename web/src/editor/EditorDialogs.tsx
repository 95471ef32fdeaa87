/** The editor's dialogs: shortcuts, workflow settings, version history, a save conflict, and
 * the question before leaving with unsaved changes. */
import type { Blocker } from "react-router";

import { DescribeDialog } from "../ai/assistant/DescribeDialog";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Button } from "../components/ui";
import { Dialog } from "./Dialog";
import { SettingsDialog } from "./SettingsDialog";
import { ShortcutsDialog } from "./ShortcutsDialog";
import type { Editor } from "./useEditor";
import { VersionsDialog } from "./VersionsDialog";

export type DialogName = "settings" | "versions" | "help" | "describe" | null;

export interface EditorDialogsProps {
  editor: Editor;
  dialog: DialogName;
  onClose: () => void;
  workflowId: number;
  blocker: Blocker;
  /** After a draft was applied to the canvas (to fit the view to it). */
  onDraftApplied?: () => void;
}

export function EditorDialogs({ editor, dialog, onClose, workflowId, blocker, onDraftApplied }: EditorDialogsProps) {
  const { state } = editor;
  return (
    <>
      {dialog === "describe" && (
        <DescribeDialog
          current={state.history.present}
          onApply={(draft) => {
            // One undoable change; settings, tags and notes stay the editor's.
            editor.change((d) => ({
              ...d,
              name: draft.name || d.name,
              description: draft.description ?? d.description,
              nodes: draft.nodes,
              connections: draft.connections,
              pinned_data: draft.pinned_data ?? null,
            }));
            onClose();
            onDraftApplied?.();
          }}
          onClose={onClose}
        />
      )}
      {dialog === "help" && <ShortcutsDialog onClose={onClose} />}
      {dialog === "settings" && (
        <SettingsDialog doc={state.history.present} workflowId={workflowId} onApply={(c) => editor.change((d) => ({ ...d, ...c }))} onClose={onClose} />
      )}
      {dialog === "versions" && (
        <VersionsDialog
          workflowId={workflowId}
          current={state.version}
          busy={editor.versionBusy}
          error={editor.versionError}
          onView={(v) => void editor.view(v).then((ok: boolean) => ok && onClose())}
          onRestore={(v) => void editor.restore(v).then((ok: boolean) => ok && onClose())}
          onClose={onClose}
        />
      )}
      {blocker.state === "blocked" && (
        <ConfirmDialog
          title="Leave without saving?"
          message="This workflow has changes that are not saved. They are lost if you leave."
          confirmLabel="Leave without saving"
          onConfirm={() => blocker.proceed()}
          onCancel={() => blocker.reset()}
        />
      )}
      {editor.conflict && (
        <Dialog
          role="alertdialog"
          title="Someone else saved this workflow"
          onClose={() => editor.setConflict(false)}
          footer={
            <>
              <Button onClick={() => editor.setConflict(false)}>Keep editing</Button>
              <Button onClick={() => void editor.reload()}>Reload (drop my changes)</Button>
              <Button variant="danger" onClick={() => void editor.overwrite()}>
                Save mine over it
              </Button>
            </>
          }
        >
          <p className="text-sm">
            A newer version than the one you opened (version {state.version}) was saved meanwhile, so yours was not saved. Reload the newest version, or save
            your changes over it as a new version.
          </p>
        </Dialog>
      )}
    </>
  );
}
