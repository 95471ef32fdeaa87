import { PlugZap, Save } from "lucide-react";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";

import { ErrorMessage, fieldError } from "../components/ErrorMessage";
import { Button, Card, Field, inputClass } from "../components/ui";
import type { IntegrationTypeOut } from "../integration-types/api";
import { typeLabel } from "../integration-types/IntegrationTypesPage";
import { useCreateIntegration, useTestConnection, useUpdateIntegration, type IntegrationOut } from "./api";
import { CredentialFields } from "./CredentialFields";
import { formParameters } from "./oauth2";
import { buildCredentials, initialValues, parseHosts, type FormValues } from "./credentials";
import { TestResultView } from "./TestResultView";

export interface IntegrationFormProps {
  types: IntegrationTypeOut[];
  /** The integration to edit; none to create one. */
  editing?: IntegrationOut | undefined;
  onSaved: (i: IntegrationOut, created: boolean) => void;
  onCancel: () => void;
}

/** Create or edit an integration: a form generated from its type's parameters, allowed
 * hosts, and a connection test of what is in the form (nothing saved by testing). */
export function IntegrationForm({ types, editing, onSaved, onCancel }: IntegrationFormProps) {
  const create = useCreateIntegration();
  const update = useUpdateIntegration();
  const test = useTestConnection();
  const save = editing ? update : create;
  const [name, setName] = useState(editing?.name ?? "");
  const [typeId, setTypeId] = useState<number | "">(editing?.integration_type_id ?? "");
  const type = types.find((t) => t.id === typeId);
  const stored = editing?.credentials;
  const [values, setValues] = useState<FormValues>(() => (type ? initialValues(formParameters(type), stored) : {}));
  const [hostsMode, setHostsMode] = useState<"default" | "list">(editing?.allowed_hosts ? "list" : "default");
  const [hostsText, setHostsText] = useState((editing?.allowed_hosts ?? []).join("\n"));
  const [active, setActive] = useState(true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const titleId = useId();
  const typeSelectId = useId();
  const hostsId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), [editing?.id]);

  function chooseType(id: number | "") {
    setTypeId(id);
    const t = types.find((x) => x.id === id);
    setValues(t ? initialValues(formParameters(t)) : {});
    setErrors({});
    test.reset();
  }

  function collect() {
    if (!type) {
      setErrors({ type: "choose a type" });
      return null;
    }
    const built = buildCredentials(formParameters(type), values, stored);
    setErrors(built.errors);
    return Object.keys(built.errors).length === 0 ? built.credentials : null;
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const credentials = collect();
    if (!credentials || !type) return;
    const allowed_hosts = parseHosts(hostsMode, hostsText);
    const done = { onSuccess: (i: IntegrationOut) => onSaved(i, !editing) };
    if (editing) {
      update.mutate({ id: editing.id, body: { name: name.trim(), credentials, allowed_hosts } }, done);
    } else {
      create.mutate(
        { name: name.trim(), integration_type_id: type.id, credentials, allowed_hosts, active },
        done,
      );
    }
  }

  function runTest() {
    const credentials = collect();
    if (!credentials || !type) return;
    test.mutate(
      editing
        ? { integration_id: editing.id, credentials }
        : { integration_type_id: type.id, credentials },
    );
  }

  const label = editing ? `Edit “${editing.name}”` : "New integration";
  return (
    <Card>
      <form onSubmit={submit} aria-labelledby={titleId} className="space-y-4" noValidate>
        <h2 id={titleId} ref={headingRef} tabIndex={-1} className="text-lg font-semibold outline-none">
          {label}
        </h2>
        <div className="grid gap-4 md:grid-cols-2">
          <Field
            label="Name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={fieldError(save.error, "name")}
            autoComplete="off"
            required
          />
          <div className="space-y-1">
            <label htmlFor={typeSelectId} className="block text-sm font-medium">
              Type
            </label>
            <select
              id={typeSelectId}
              className={inputClass}
              value={typeId}
              disabled={!!editing}
              aria-invalid={errors.type ? true : undefined}
              aria-describedby={errors.type ? `${typeSelectId}-error` : undefined}
              onChange={(e) => chooseType(e.target.value ? Number(e.target.value) : "")}
            >
              <option value="">(choose a type)</option>
              {types.map((t) => (
                <option key={t.id} value={t.id}>
                  {typeLabel(t)} ({t.key})
                </option>
              ))}
            </select>
            {errors.type && (
              <p id={`${typeSelectId}-error`} className="text-sm text-red-600 dark:text-red-400">
                type: {errors.type}
              </p>
            )}
          </div>
        </div>

        {type && (
          <fieldset className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
            <legend className="px-1 text-sm font-semibold">Credentials ({typeLabel(type)})</legend>
            <CredentialFields
              params={formParameters(type)}
              values={values}
              errors={errors}
              stored={stored}
              onChange={(field, value) => setValues((v) => ({ ...v, [field]: value }))}
            />
          </fieldset>
        )}

        <fieldset className="space-y-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
          <legend className="px-1 text-sm font-semibold">Allowed hosts</legend>
          <p className="text-xs text-zinc-500 dark:text-zinc-400">Where this integration may send its credentials.</p>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name={`${hostsId}-mode`}
              checked={hostsMode === "default"}
              onChange={() => setHostsMode("default")}
              className="accent-indigo-600"
            />
            Default: the host of the base_url / url field (nowhere without one)
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input
              type="radio"
              name={`${hostsId}-mode`}
              checked={hostsMode === "list"}
              onChange={() => setHostsMode("list")}
              className="accent-indigo-600"
            />
            Only these hosts
          </label>
          {hostsMode === "list" && (
            <div className="space-y-1">
              <label htmlFor={hostsId} className="block text-sm font-medium">
                Hosts, one a line
              </label>
              <textarea
                id={hostsId}
                className={`${inputClass} font-mono`}
                rows={3}
                value={hostsText}
                onChange={(e) => setHostsText(e.target.value)}
                placeholder={"api.example.com\n*.example.com\nfiles.example.com:8443"}
                aria-describedby={`${hostsId}-hint`}
              />
              <p id={`${hostsId}-hint`} className="text-xs text-zinc-500 dark:text-zinc-400">
                <code>*.example.com</code> allows its subdomains, <code>host:port</code> one port, <code>*</code> any host;
                an empty list allows none.
              </p>
            </div>
          )}
        </fieldset>

        {!editing && (
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={active}
              onChange={(e) => setActive(e.target.checked)}
              className="size-4 accent-indigo-600"
            />
            Active
          </label>
        )}

        <ErrorMessage error={save.error} title="Could not save" />
        <ErrorMessage error={test.error} title="Could not test" />
        {test.data && <TestResultView result={test.data} />}
        <div className="flex flex-wrap gap-2">
          <Button type="submit" variant="primary" disabled={save.isPending}>
            <Save aria-hidden className="size-4" />
            {editing ? "Save changes" : "Create integration"}
          </Button>
          <Button onClick={runTest} disabled={test.isPending || !type}>
            <PlugZap aria-hidden className="size-4" />
            {test.isPending ? "Testing…" : "Test connection"}
          </Button>
          <Button onClick={onCancel}>Cancel</Button>
        </div>
      </form>
    </Card>
  );
}
