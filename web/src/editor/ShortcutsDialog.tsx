/** The `?` dialog: every keyboard shortcut of the editor. */
import { Button } from "../components/ui";
import { Dialog } from "./Dialog";
import { CANVAS_KEYS, SHORTCUTS } from "./shortcuts";

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const mac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);
  return (
    <Dialog
      title="Keyboard shortcuts"
      onClose={onClose}
      footer={
        <Button variant="primary" onClick={onClose}>
          Close
        </Button>
      }
    >
      <KeysTable
        rows={SHORTCUTS.map((s) => ({ key: s.command, keys: s.keys, what: s.what }))}
        mac={mac}
        caption={<caption className="sr-only">Keyboard shortcuts of the workflow editor</caption>}
      />
      <KeysTable
        rows={CANVAS_KEYS.map((s) => ({ key: s.keys, keys: s.keys, what: s.what }))}
        mac={mac}
        className="mt-4"
        caption={<caption className="pb-1 text-left text-sm font-semibold">On the canvas (keyboard only)</caption>}
      />
      <p className="mt-3 text-xs text-zinc-500 dark:text-zinc-400">
        While you type in a field only saving works; the other keys are the field’s. Shift+drag selects several nodes, Ctrl+click adds one to the selection.
      </p>
    </Dialog>
  );
}

/** One table of keys and what they do (Ctrl shown as ⌘ on a Mac). */
function KeysTable(props: {
  rows: { key: string; keys: string; what: string }[];
  mac: boolean;
  caption: React.ReactNode;
  className?: string;
}) {
  return (
    <table className={`w-full text-left text-sm ${props.className ?? ""}`}>
      {props.caption}
      <thead className="text-xs uppercase text-zinc-500 dark:text-zinc-400">
        <tr>
          <th scope="col" className="py-1 pr-4">Keys</th>
          <th scope="col" className="py-1">Does</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr key={r.key} className="border-t border-zinc-100 dark:border-zinc-800">
            <td className="py-1.5 pr-4 whitespace-nowrap">
              <kbd className="rounded border border-zinc-300 bg-zinc-50 px-1.5 py-0.5 font-mono text-xs dark:border-zinc-600 dark:bg-zinc-800">{props.mac ? r.keys.replaceAll("Ctrl", "⌘") : r.keys}</kbd>
            </td>
            <td className="py-1.5">{r.what}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
