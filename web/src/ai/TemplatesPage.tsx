import { Eye, Plus, Save, Trash2 } from "lucide-react";
import { useId, useState } from "react";
import { useSearchParams } from "react-router";

import { useMe } from "../auth/session";
import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, Card, Field, focusRing, inputClass } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import {
  useCreateTemplate,
  useDeleteTemplate,
  usePreview,
  useSaveTemplate,
  useTemplate,
  useTemplates,
  useTemplateVersion,
  type TemplateMessage,
  type TemplateVersionOut,
} from "./api";

const ROLES = ["system", "user", "assistant"] as const;

/** What the editor holds: the template's content as typed (variables as JSON text). */
export interface Draft {
  name: string;
  description: string;
  messages: TemplateMessage[];
  variablesText: string;
}

export const EMPTY_DRAFT: Draft = {
  name: "",
  description: "",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "{{ question }}" },
  ],
  variablesText: '{\n  "question": "What is Wirework?"\n}',
};

export function draftOf(v: TemplateVersionOut): Draft {
  return {
    name: v.name,
    description: v.description,
    messages: v.messages.map((m) => ({ role: m.role, content: m.content })),
    variablesText: JSON.stringify(v.variables ?? {}, null, 2),
  };
}

/** The variables' JSON, or why it is not an object. */
export function parseVariables(text: string): { value: Record<string, unknown> } | { error: string } {
  if (!text.trim()) return { value: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { error: "Sample variables must be a JSON object, e.g. {\"name\": \"Ada\"}" };
    }
    return { value: value as Record<string, unknown> };
  } catch (e) {
    return { error: `Sample variables are not valid JSON: ${(e as Error).message}` };
  }
}

export function TemplatesPage() {
  const [params, setParams] = useSearchParams();
  const selected = params.get("name");
  const creating = params.get("new") === "1";
  const list = useTemplates();
  const canEdit = useMe().data?.role !== "viewer";

  function open(next: { name?: string; isNew?: boolean }) {
    const p = new URLSearchParams();
    if (next.name) p.set("name", next.name);
    if (next.isNew) p.set("new", "1");
    setParams(p, { replace: true });
  }

  return (
    <section className="space-y-6">
      <div className="flex flex-wrap items-center gap-3">
        <PageTitle>Prompt templates</PageTitle>
        {canEdit && (
          <Button variant="primary" className="ml-auto" onClick={() => open({ isNew: true })}>
            <Plus aria-hidden className="size-4" /> New template
          </Button>
        )}
      </div>
      <p className="max-w-3xl text-sm text-zinc-600 dark:text-zinc-400">
        Named, versioned prompts for AI nodes. Every save is a new version; nodes use the latest or pin
        one. Messages may hold <code className="font-mono">{"{{ … }}"}</code> expressions over the declared
        variables and the item (<code className="font-mono">json</code>).
      </p>
      <ErrorMessage error={list.error} title="Could not load the templates" />
      <div className="grid gap-6 lg:grid-cols-[16rem_1fr]">
        <nav aria-label="Templates">
          {list.data && list.data.length === 0 && (
            <p className="text-sm text-zinc-500 dark:text-zinc-400">No templates yet.</p>
          )}
          <ul className="space-y-1">
            {list.data?.map((t) => (
              <li key={t.name}>
                <button
                  type="button"
                  aria-current={t.name === selected ? "page" : undefined}
                  onClick={() => open({ name: t.name })}
                  className={`w-full rounded-md px-3 py-2 text-left text-sm ${focusRing} ${
                    t.name === selected
                      ? "bg-indigo-50 font-medium text-indigo-800 dark:bg-indigo-950 dark:text-indigo-200"
                      : "hover:bg-zinc-100 dark:hover:bg-zinc-800"
                  }`}
                >
                  <span className="font-mono">{t.name}</span>
                  <span className="ml-2 text-xs text-zinc-700 dark:text-zinc-300">v{t.latest_version}</span>
                </button>
              </li>
            ))}
          </ul>
        </nav>
        {creating ? (
          <Editor key="new" initial={EMPTY_DRAFT} isNew canEdit={canEdit} onSaved={(name) => open({ name })} />
        ) : selected ? (
          <Existing key={selected} name={selected} canEdit={canEdit} onDeleted={() => open({})} />
        ) : (
          <p className="text-sm text-zinc-500 dark:text-zinc-400">Pick a template, or create one.</p>
        )}
      </div>
    </section>
  );
}

function Existing({ name, canEdit, onDeleted }: { name: string; canEdit: boolean; onDeleted: () => void }) {
  const template = useTemplate(name);
  const [version, setVersion] = useState<number | null>(null);
  const old = useTemplateVersion(name, version);
  const remove = useDeleteTemplate();
  const versionId = useId();
  const latest = template.data;
  if (template.error) return <ErrorMessage error={template.error} title="Could not load the template" />;
  if (!latest) return <p className="text-sm text-zinc-500 dark:text-zinc-400">Loading…</p>;
  const shown = version !== null && old.data ? old.data : latest;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3">
        <div className="space-y-1">
          <label htmlFor={versionId} className="block text-sm font-medium">
            Version
          </label>
          <select
            id={versionId}
            className={inputClass}
            value={version ?? latest.latest_version}
            onChange={(e) => {
              const v = Number(e.target.value);
              setVersion(v === latest.latest_version ? null : v);
            }}
          >
            {latest.versions.map((v) => (
              <option key={v.version} value={v.version}>
                {`Version ${v.version}${v.version === latest.latest_version ? " (latest)" : ""} — ${new Date(v.created_at).toLocaleString()}`}
              </option>
            ))}
          </select>
        </div>
        {canEdit && (
          <Button
            variant="danger"
            className="ml-auto"
            disabled={remove.isPending}
            onClick={() => {
              if (window.confirm(`Delete the template ${name} and all its versions?`)) {
                remove.mutate(name, { onSuccess: onDeleted });
              }
            }}
          >
            <Trash2 aria-hidden className="size-4" /> Delete
          </Button>
        )}
      </div>
      <ErrorMessage error={remove.error} title="Could not delete" />
      {shown.version !== latest.latest_version && (
        <p role="status" className="text-sm text-amber-700 dark:text-amber-300">
          Showing version {shown.version}. Saving it makes it version {latest.latest_version + 1}.
        </p>
      )}
      <Editor
        key={`${name}@${shown.version}`}
        initial={draftOf(shown)}
        isNew={false}
        canEdit={canEdit}
        nextVersion={latest.latest_version + 1}
        onSaved={() => setVersion(null)}
      />
    </div>
  );
}

interface EditorProps {
  initial: Draft;
  isNew: boolean;
  canEdit: boolean;
  nextVersion?: number;
  onSaved: (name: string) => void;
}

function Editor({ initial, isNew, canEdit, nextVersion, onSaved }: EditorProps) {
  const [draft, setDraft] = useState<Draft>(initial);
  const create = useCreateTemplate();
  const save = useSaveTemplate();
  const preview = usePreview();
  const [localError, setLocalError] = useState<string | null>(null);
  const saving = create.isPending || save.isPending;
  const saveError = create.error ?? save.error;
  const readOnly = !canEdit;
  const variablesId = useId();

  function setMessage(i: number, patch: Partial<TemplateMessage>) {
    setDraft((d) => ({ ...d, messages: d.messages.map((m, j) => (j === i ? { ...m, ...patch } : m)) }));
  }

  function content() {
    const vars = parseVariables(draft.variablesText);
    if ("error" in vars) {
      setLocalError(vars.error);
      return null;
    }
    setLocalError(null);
    return { messages: draft.messages, variables: vars.value };
  }

  function onSave(e: React.FormEvent) {
    e.preventDefault();
    const c = content();
    if (!c) return;
    if (isNew) {
      create.mutate({ name: draft.name, description: draft.description, ...c }, { onSuccess: (t) => onSaved(t.name) });
    } else {
      save.mutate({ name: draft.name, body: { description: draft.description, ...c } }, { onSuccess: (t) => onSaved(t.name) });
    }
  }

  function onPreview() {
    const c = content();
    if (c) preview.mutate(c);
  }

  return (
    <div className="grid gap-6 xl:grid-cols-2">
      <Card className="p-4!">
        <form className="space-y-4" onSubmit={onSave} aria-label="Template">
          {isNew && (
            <Field
              label="Name"
              value={draft.name}
              required
              placeholder="support-reply"
              error={fieldError(saveError, "body.name")}
              onChange={(e) => setDraft({ ...draft, name: e.target.value })}
            />
          )}
          <Field
            label="Description"
            value={draft.description}
            readOnly={readOnly}
            onChange={(e) => setDraft({ ...draft, description: e.target.value })}
          />
          <fieldset className="space-y-3">
            <legend className="text-sm font-medium">Messages</legend>
            {draft.messages.map((m, i) => (
              <MessageRow
                key={i}
                index={i}
                message={m}
                readOnly={readOnly}
                error={fieldError(saveError, `messages[${i}].content`) ?? fieldError(preview.error, `messages[${i}].content`)}
                onChange={(patch) => setMessage(i, patch)}
                onRemove={
                  draft.messages.length > 1
                    ? () => setDraft({ ...draft, messages: draft.messages.filter((_, j) => j !== i) })
                    : undefined
                }
              />
            ))}
            {!readOnly && (
              <Button
                onClick={() => setDraft({ ...draft, messages: [...draft.messages, { role: "user", content: "" }] })}
              >
                <Plus aria-hidden className="size-4" /> Add message
              </Button>
            )}
          </fieldset>
          <div className="space-y-1">
            <label htmlFor={variablesId} className="block text-sm font-medium">
              Variables and sample values (JSON)
            </label>
            <textarea
              id={variablesId}
              rows={5}
              readOnly={readOnly}
              className={`${inputClass} font-mono`}
              value={draft.variablesText}
              onChange={(e) => setDraft({ ...draft, variablesText: e.target.value })}
            />
          </div>
          {localError && (
            <p role="alert" className="text-sm text-red-600 dark:text-red-400">
              {localError}
            </p>
          )}
          <ErrorMessage error={saveError} title="Could not save" />
          <div className="flex flex-wrap gap-2">
            {!readOnly && (
              <Button type="submit" variant="primary" disabled={saving}>
                <Save aria-hidden className="size-4" />
                {isNew ? "Create" : `Save as version ${nextVersion ?? ""}`}
              </Button>
            )}
            <Button onClick={onPreview} disabled={preview.isPending}>
              <Eye aria-hidden className="size-4" /> Preview
            </Button>
          </div>
        </form>
      </Card>
      <Card className="space-y-3 p-4!">
        <h2 className="text-lg font-semibold">Preview</h2>
        <p className="text-xs text-zinc-600 dark:text-zinc-400">
          Rendered on the server with the sample values, through the same expression sandbox as a run.
        </p>
        <ErrorMessage error={preview.error} title="Could not render" />
        {preview.data ? (
          <ol aria-label="Rendered messages" className="space-y-2">
            {preview.data.messages.map((m, i) => (
              <li key={i} className="rounded-md border border-zinc-200 p-2 dark:border-zinc-800">
                <p className="text-xs font-semibold uppercase text-zinc-500 dark:text-zinc-400">{m.role}</p>
                <p className="whitespace-pre-wrap text-sm">{m.content}</p>
              </li>
            ))}
          </ol>
        ) : (
          !preview.error && <p className="text-sm text-zinc-500 dark:text-zinc-400">Press Preview to render.</p>
        )}
      </Card>
    </div>
  );
}

interface MessageRowProps {
  index: number;
  message: TemplateMessage;
  readOnly: boolean;
  error: string | undefined;
  onChange: (patch: Partial<TemplateMessage>) => void;
  onRemove: (() => void) | undefined;
}

function MessageRow({ index, message, readOnly, error, onChange, onRemove }: MessageRowProps) {
  const roleId = useId();
  const contentId = useId();
  const errorId = `${contentId}-error`;
  return (
    <div className="space-y-1 rounded-md border border-zinc-200 p-2 dark:border-zinc-800">
      <div className="flex items-center gap-2">
        <label htmlFor={roleId} className="text-xs font-medium">
          Role of message {index + 1}
        </label>
        <select
          id={roleId}
          className={`${inputClass} w-auto!`}
          value={message.role}
          disabled={readOnly}
          onChange={(e) => onChange({ role: e.target.value as TemplateMessage["role"] })}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        {!readOnly && onRemove && (
          <Button variant="ghost" className="ml-auto" aria-label={`Remove message ${index + 1}`} onClick={onRemove}>
            <Trash2 aria-hidden className="size-4" />
          </Button>
        )}
      </div>
      <label htmlFor={contentId} className="sr-only">
        Content of message {index + 1}
      </label>
      <textarea
        id={contentId}
        rows={3}
        readOnly={readOnly}
        className={`${inputClass} font-mono`}
        value={message.content}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(e) => onChange({ content: e.target.value })}
      />
      {error && (
        <p id={errorId} className="text-sm text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}
