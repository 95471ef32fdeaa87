import { Plus, Save, Trash2 } from "lucide-react";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";

import { ErrorMessage } from "../components/ErrorMessage";
import { Button, Card, Field, inputClass } from "../components/ui";
import { useCreateType, useUpdateType, type IntegrationTypeOut, type TypeCreate } from "./api";
import { HttpSettings, RequestEditor } from "./HttpEditors";
import { emptyRequest, httpFrom, httpToSpec, serverErrors, type HttpState } from "./httpSpec";
import { ParameterBuilder } from "./ParameterBuilder";
import {
  actionRowsFrom,
  actionsToSpecs,
  emptyAction,
  rowFromParam,
  rowsToSpecs,
  type ActionRow,
  type ParamRow,
  type RowErrors,
} from "./paramRows";

export interface TypeFormProps {
  /** The custom type to edit; none to create one. */
  editing?: IntegrationTypeOut | undefined;
  onSaved: (t: IntegrationTypeOut, created: boolean) => void;
  onCancel: () => void;
}

/** Create or edit a custom integration type: its name, credential fields and actions. */
export function TypeForm({ editing, onSaved, onCancel }: TypeFormProps) {
  const create = useCreateType();
  const update = useUpdateType();
  const save = editing ? update : create;
  const [name, setName] = useState(editing?.display_name || editing?.key || "");
  const [description, setDescription] = useState(editing?.description ?? "");
  const [params, setParams] = useState<ParamRow[]>(() => editing?.parameters.map(rowFromParam) ?? []);
  const [actions, setActions] = useState<ActionRow[]>(() => (editing ? actionRowsFrom(editing) : []));
  const [http, setHttp] = useState<HttpState>(() => httpFrom(editing?.http));
  const [errors, setErrors] = useState<RowErrors>({});
  const titleId = useId();
  const descriptionId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), [editing?.id]);

  function updateAction(index: number, patch: Partial<ActionRow>) {
    setActions((all) => all.map((a, i) => (i === index ? { ...a, ...patch } : a)));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: RowErrors = {};
    if (!name.trim()) found.name = "name: required";
    const parameters = rowsToSpecs(params, "parameters", found);
    const actionSpecs = actionsToSpecs(
      http.enabled ? actions : actions.map((a) => ({ ...a, request: null })),
      found,
    );
    const httpSpec = httpToSpec(http, params, found) as TypeCreate["http"];
    setErrors(found);
    save.reset();
    if (Object.keys(found).length > 0) return;
    const done = { onSuccess: (t: IntegrationTypeOut) => onSaved(t, !editing) };
    if (editing) {
      update.mutate(
        {
          id: editing.id,
          body: {
            display_name: name.trim(),
            description: description.trim(),
            parameters,
            actions: actionSpecs,
            // null removes a type's HTTP settings when "Actions send HTTP requests" is off.
            http: httpSpec ?? null,
          },
        },
        done,
      );
    } else {
      create.mutate(
        {
          name: name.trim(),
          description: description.trim(),
          parameters,
          actions: actionSpecs,
          ...(httpSpec ? { http: httpSpec } : {}),
        },
        done,
      );
    }
  }

  const problems = Object.values(errors);
  // The server's 422 names fields too: each shows beside its control (the client's own
  // checks first).
  const shown: RowErrors = { ...serverErrors(save.error), ...errors };
  return (
    <Card>
      <form onSubmit={submit} aria-labelledby={titleId} className="space-y-4" noValidate>
        <h2 id={titleId} ref={headingRef} tabIndex={-1} className="text-lg font-semibold outline-none">
          {editing ? `Edit “${editing.display_name || editing.key}”` : "New integration type"}
        </h2>
        {editing && (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">
            Key <code className="font-mono">{editing.key}</code> (integrations and workflow steps name the type by it; it
            does not change).
          </p>
        )}
        <div className="grid gap-4 md:grid-cols-2">
          <Field
            label="Display name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={errors.name}
            placeholder="Acme API"
            autoComplete="off"
          />
          <div className="space-y-1">
            <label htmlFor={descriptionId} className="block text-sm font-medium">
              Description
            </label>
            <textarea
              id={descriptionId}
              className={inputClass}
              rows={2}
              value={description}
              onChange={(e) => setDescription(e.target.value)}
            />
          </div>
        </div>
        {!editing && (
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            The key is derived from the display name (e.g. “Acme API” → <code>acme_api</code>).
          </p>
        )}

        <ParameterBuilder legend="Credential fields" prefix="parameters" rows={params} errors={shown} onChange={setParams} />

        <HttpSettings
          http={http}
          params={params}
          errors={shown}
          onChange={(patch) => {
            setHttp((h) => ({ ...h, ...patch }));
            if (patch.enabled) setActions((all) => all.map((a) => (a.request ? a : { ...a, request: emptyRequest() })));
          }}
          onAddParams={(rows) => setParams((all) => [...all, ...rows])}
        />

        <fieldset className="space-y-3">
          <legend className="text-sm font-semibold">Actions</legend>
          {actions.length === 0 && <p className="text-sm text-zinc-500 dark:text-zinc-400">No actions yet.</p>}
          {actions.map((action, i) => (
            <ActionEditor
              key={action.key}
              index={i}
              action={action}
              http={http.enabled}
              errors={shown}
              onChange={(patch) => updateAction(i, patch)}
              onRemove={() => setActions((all) => all.filter((_, j) => j !== i))}
            />
          ))}
          <Button onClick={() => setActions((all) => [...all, { ...emptyAction(), request: http.enabled ? emptyRequest() : null }])}>
            <Plus aria-hidden className="size-4" />
            Add action
          </Button>
        </fieldset>

        {problems.length > 0 && (
          <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
            <p className="font-medium">Please correct:</p>
            <ul className="list-disc pl-6">
              {Object.entries(errors).map(([field, message]) => (
                <li key={field}>
                  <code className="font-mono">{field}</code>: {message}
                </li>
              ))}
            </ul>
          </div>
        )}
        <ErrorMessage error={save.error} title="Could not save" />
        <div className="flex gap-2">
          <Button type="submit" variant="primary" disabled={save.isPending}>
            <Save aria-hidden className="size-4" />
            {editing ? "Save changes" : "Create type"}
          </Button>
          <Button onClick={onCancel}>Cancel</Button>
        </div>
      </form>
    </Card>
  );
}

interface ActionEditorProps {
  index: number;
  action: ActionRow;
  /** Whether the type sends HTTP requests (its actions then have a request). */
  http: boolean;
  errors: RowErrors;
  onChange: (patch: Partial<ActionRow>) => void;
  onRemove: () => void;
}

function ActionEditor({ index, action, http, errors, onChange, onRemove }: ActionEditorProps) {
  const label = `Action ${index + 1}${action.name ? ` (${action.name})` : ""}`;
  const at = `actions[${index}]`;
  return (
    <div role="group" aria-label={label} className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
      <div className="grid gap-3 md:grid-cols-3">
        <Field
          label="Action name"
          value={action.name}
          onChange={(e) => onChange({ name: e.target.value })}
          error={errors[`${at}.name`]}
          placeholder="send_message"
          autoComplete="off"
        />
        <Field label="Action display name" value={action.display_name} onChange={(e) => onChange({ display_name: e.target.value })} />
        <Field label="Action description" value={action.description} onChange={(e) => onChange({ description: e.target.value })} />
      </div>
      <ParameterBuilder
        legend={`Parameters of ${action.name || `action ${index + 1}`}`}
        prefix={`${at}.parameters`}
        rows={action.parameters}
        errors={errors}
        onChange={(parameters) => onChange({ parameters })}
      />
      {http &&
        (action.request ? (
          <RequestEditor
            label={action.name || `action ${index + 1}`}
            at={`${at}.request`}
            request={action.request}
            errors={errors}
            onChange={(patch) => onChange({ request: { ...(action.request ?? emptyRequest()), ...patch } })}
            onRemove={() => onChange({ request: null })}
          />
        ) : (
          <Button onClick={() => onChange({ request: emptyRequest() })}>
            <Plus aria-hidden className="size-4" />
            Add HTTP request
          </Button>
        ))}
      <Button variant="ghost" onClick={onRemove} aria-label={`Remove ${label}`}>
        <Trash2 aria-hidden className="size-4 text-red-600" />
        Remove action
      </Button>
    </div>
  );
}
