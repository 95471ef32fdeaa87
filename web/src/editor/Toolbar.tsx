/** The editor's top bar: back to the list, the workflow's name, save state, canvas tools,
 * versions, settings, shortcuts, the active switch, Run and Save. */
import {
  ArrowLeft,
  History,
  Keyboard,
  LayoutGrid,
  ListChecks,
  Loader2,
  Maximize,
  Play,
  Plus,
  Redo2,
  Save,
  Settings,
  Sparkles,
  StickyNote,
  Undo2,
} from "lucide-react";
import { Link } from "react-router";

import { Button, focusRing } from "../components/ui";

export interface ToolbarProps {
  workflowId: number;
  name: string;
  onName: (name: string) => void;
  dirty: boolean;
  version: number;
  saving: boolean;
  running: boolean;
  active: boolean;
  activeBusy: boolean;
  readOnly: boolean;
  canUndo: boolean;
  canRedo: boolean;
  paletteOpen: boolean;
  onSave: () => void;
  onRun: () => void;
  onToggleActive: () => void;
  onUndo: () => void;
  onRedo: () => void;
  onPalette: () => void;
  onNote: () => void;
  onTidy: () => void;
  onFit: () => void;
  onVersions: () => void;
  onSettings: () => void;
  onHelp: () => void;
  onDescribe: () => void;
}

function Tool({ label, keys, onClick, disabled, children, pressed }: { label: string; keys?: string; onClick: () => void; disabled?: boolean; children: React.ReactNode; pressed?: boolean }) {
  return (
    <Button variant="ghost" className="px-2" aria-label={label} aria-pressed={pressed} title={keys ? `${label} (${keys})` : label} onClick={onClick} disabled={disabled}>
      {children}
    </Button>
  );
}

export function Toolbar(p: ToolbarProps) {
  const icon = "size-4";
  return (
    <header className="flex flex-wrap items-center gap-1 border-b border-zinc-200 bg-white px-2 py-1.5 text-zinc-900 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-100">
      <Link to="/workflows" className={`inline-flex items-center gap-1 rounded-md px-2 py-1.5 text-sm text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800 ${focusRing}`}>
        <ArrowLeft aria-hidden className={icon} />
        Workflows
      </Link>
      <input
        aria-label="Workflow name"
        value={p.name}
        readOnly={p.readOnly}
        maxLength={200}
        onChange={(e) => p.onName(e.target.value)}
        className={`min-w-32 max-w-72 flex-1 rounded-md border border-transparent bg-transparent px-2 py-1 text-base font-semibold hover:border-zinc-300 focus:border-zinc-300 dark:hover:border-zinc-700 dark:focus:border-zinc-700 ${focusRing}`}
      />
      <span role="status" className="mr-2 text-xs whitespace-nowrap text-zinc-500 dark:text-zinc-400">
        {p.saving ? "Saving…" : p.dirty ? <span className="font-medium text-amber-700 dark:text-amber-300">Unsaved changes</span> : `Saved · version ${p.version}`}
      </span>
      <div role="toolbar" aria-label="Canvas tools" className="flex items-center gap-0.5">
        <Tool label="Add a node" keys="N" onClick={p.onPalette} disabled={p.readOnly} pressed={p.paletteOpen}>
          <Plus aria-hidden className={icon} />
        </Tool>
        <Tool label="Add a sticky note" onClick={p.onNote} disabled={p.readOnly}>
          <StickyNote aria-hidden className={icon} />
        </Tool>
        <Tool label="Describe a workflow (AI)" onClick={p.onDescribe} disabled={p.readOnly}>
          <Sparkles aria-hidden className={icon} />
        </Tool>
        <Tool label="Undo" keys="Ctrl+Z" onClick={p.onUndo} disabled={!p.canUndo || p.readOnly}>
          <Undo2 aria-hidden className={icon} />
        </Tool>
        <Tool label="Redo" keys="Ctrl+Shift+Z" onClick={p.onRedo} disabled={!p.canRedo || p.readOnly}>
          <Redo2 aria-hidden className={icon} />
        </Tool>
        <Tool label="Tidy up" keys="Shift+Alt+F" onClick={p.onTidy} disabled={p.readOnly}>
          <LayoutGrid aria-hidden className={icon} />
        </Tool>
        <Tool label="Zoom to fit" keys="Shift+1" onClick={p.onFit}>
          <Maximize aria-hidden className={icon} />
        </Tool>
        <Tool label="Version history" onClick={p.onVersions}>
          <History aria-hidden className={icon} />
        </Tool>
        <Tool label="Workflow settings" onClick={p.onSettings} disabled={p.readOnly}>
          <Settings aria-hidden className={icon} />
        </Tool>
        <Tool label="Keyboard shortcuts" keys="?" onClick={p.onHelp}>
          <Keyboard aria-hidden className={icon} />
        </Tool>
        <Link
          to={`/executions?workflow_id=${p.workflowId}`}
          aria-label="Executions of this workflow"
          title="Executions of this workflow"
          className={`inline-flex items-center rounded-md px-2 py-1.5 text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800 ${focusRing}`}
        >
          <ListChecks aria-hidden className={icon} />
        </Link>
      </div>
      <div className="ml-auto flex items-center gap-2">
        <button
          type="button"
          role="switch"
          aria-checked={p.active}
          aria-label="Active"
          disabled={p.activeBusy || p.readOnly}
          onClick={p.onToggleActive}
          className={`inline-flex items-center gap-2 rounded-md px-2 py-1.5 text-sm ${focusRing} disabled:opacity-60`}
        >
          <span className={`relative inline-flex h-5 w-9 items-center rounded-full transition-colors ${p.active ? "bg-emerald-600" : "bg-zinc-300 dark:bg-zinc-600"}`}>
            <span className={`inline-block size-4 rounded-full bg-white shadow transition-transform ${p.active ? "translate-x-4.5" : "translate-x-0.5"}`} />
          </span>
          <span className="text-zinc-700 dark:text-zinc-200">{p.active ? "Active" : "Inactive"}</span>
        </button>
        <Button onClick={p.onRun} disabled={p.running || p.readOnly} title="Run the workflow (Ctrl+Enter); unsaved changes are saved first">
          {p.running ? <Loader2 aria-hidden className={`${icon} animate-spin`} /> : <Play aria-hidden className={icon} />}
          {p.running ? "Running…" : "Run"}
        </Button>
        <Button variant="primary" onClick={p.onSave} disabled={p.saving || p.readOnly} title="Save (Ctrl+S)">
          <Save aria-hidden className={icon} />
          Save
        </Button>
      </div>
    </header>
  );
}
