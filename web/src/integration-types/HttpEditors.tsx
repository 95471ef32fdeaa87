/** The declarative HTTP parts of the type form: the base URL and auth scheme of the type, and
 * the request each action sends (method, path, query, headers, body, response mapping). */
import { Plus, Trash2 } from "lucide-react";
import { useId } from "react";

import { CodeEditor } from "../components/code/CodeEditor";
import { Button, Field, inputClass } from "../components/ui";
import {
  AUTH_KINDS,
  AUTH_LABELS,
  emptyPair,
  METHODS,
  missingAuthFields,
  type AuthKind,
  type HttpState,
  type MappingKind,
  type PairRow,
  type RequestRow,
} from "./httpSpec";
import { newKey, type ParamRow, type RowErrors } from "./paramRows";

function FieldError({ id, error }: { id: string; error?: string | undefined }) {
  if (!error) return null;
  return (
    <p id={id} className="text-xs text-red-600 dark:text-red-400">
      {error}
    </p>
  );
}

export interface HttpSettingsProps {
  http: HttpState;
  params: ParamRow[];
  errors: RowErrors;
  onChange: (patch: Partial<HttpState>) => void;
  onAddParams: (rows: ParamRow[]) => void;
}

/** Whether the type sends HTTP requests, where to, and how they authenticate. */
export function HttpSettings({ http, params, errors, onChange, onAddParams }: HttpSettingsProps) {
  const id = useId();
  const missing = http.enabled ? missingAuthFields(http, params) : [];
  const authError = errors["http.auth"] ?? errors["http.auth.kind"];
  return (
    <fieldset className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
      <legend className="px-1 text-sm font-semibold">HTTP</legend>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={http.enabled}
          onChange={(e) => onChange({ enabled: e.target.checked })}
          className="size-4 accent-indigo-600"
        />
        Actions send HTTP requests (a declarative HTTP type)
      </label>
      {http.enabled && (
        <>
          <div className="grid gap-3 md:grid-cols-2">
            <Field
              label="Base URL"
              value={http.baseUrl}
              onChange={(e) => onChange({ baseUrl: e.target.value })}
              error={errors["http.base_url"] ?? errors.http}
              placeholder="https://api.acme.com/v1"
              autoComplete="off"
              inputMode="url"
            />
            <div className="space-y-1">
              <label htmlFor={`${id}-kind`} className="block text-sm font-medium">
                Auth scheme
              </label>
              <select
                id={`${id}-kind`}
                className={inputClass}
                value={http.kind}
                onChange={(e) => onChange({ kind: e.target.value as AuthKind })}
                aria-invalid={authError ? true : undefined}
                aria-describedby={authError ? `${id}-kind-error` : undefined}
              >
                {AUTH_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {AUTH_LABELS[k]}
                  </option>
                ))}
              </select>
              <FieldError id={`${id}-kind-error`} error={authError} />
            </div>
          </div>
          {(http.kind === "api_key_header" || http.kind === "api_key_query") && (
            <div className="grid gap-3 md:grid-cols-2">
              <Field
                label={http.kind === "api_key_header" ? "Header name" : "Query parameter name"}
                value={http.name}
                onChange={(e) => onChange({ name: e.target.value })}
                error={errors["http.auth.name"]}
                placeholder={http.kind === "api_key_header" ? "X-Api-Key" : "api_key"}
                autoComplete="off"
              />
              <Field
                label="Credential field with the key"
                value={http.field}
                onChange={(e) => onChange({ field: e.target.value })}
                error={errors["http.auth.field"]}
                autoComplete="off"
              />
            </div>
          )}
          {http.kind === "bearer" && (
            <Field
              label="Credential field with the token"
              value={http.field}
              onChange={(e) => onChange({ field: e.target.value })}
              error={errors["http.auth.field"]}
              autoComplete="off"
            />
          )}
          {http.kind === "basic" && (
            <div className="grid gap-3 md:grid-cols-2">
              <Field
                label="Credential field with the user name"
                value={http.usernameField}
                onChange={(e) => onChange({ usernameField: e.target.value })}
                error={errors["http.auth.username_field"]}
                autoComplete="off"
              />
              <Field
                label="Credential field with the password"
                value={http.passwordField}
                onChange={(e) => onChange({ passwordField: e.target.value })}
                error={errors["http.auth.password_field"]}
                autoComplete="off"
              />
            </div>
          )}
          {http.kind === "oauth2" && (
            <p className="text-xs text-zinc-600 dark:text-zinc-400">
              Integrations of this type get an access token from the token URL (grant client_credentials), or are
              connected once with <strong>Connect</strong> on the Integrations page (grant authorization_code).
            </p>
          )}
          {missing.length > 0 && (
            <div className="flex flex-wrap items-center gap-2 rounded-md bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200">
              <span>
                This scheme needs the credential field{missing.length > 1 ? "s" : ""}{" "}
                {missing.map((f) => f.name).join(", ")}.
              </span>
              <Button onClick={() => onAddParams(missing.map((f) => ({ ...f, key: newKey() })))}>
                <Plus aria-hidden className="size-4" />
                Add {missing.length > 1 ? "them" : "it"}
              </Button>
            </div>
          )}
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            A credential field named <code>base_url</code>, when an integration fills it in, overrides the base URL.
          </p>
        </>
      )}
    </fieldset>
  );
}

export interface RequestEditorProps {
  /** e.g. "send_message" or "action 2": names the controls for assistive technology. */
  label: string;
  /** Where its problems are filed: `actions[0].request`. */
  at: string;
  request: RequestRow;
  errors: RowErrors;
  onChange: (patch: Partial<RequestRow>) => void;
  onRemove: () => void;
}

const MAPPINGS: { value: MappingKind; label: string }[] = [
  { value: "body", label: "The JSON body as it is" },
  { value: "jmespath", label: "JMESPath over the JSON body" },
  { value: "expression", label: "Expression over the response" },
];

/** One action's HTTP request. Strings may hold expressions over the action's params. */
export function RequestEditor({ label, at, request, errors, onChange, onRemove }: RequestEditorProps) {
  const id = useId();
  const err = (part: string) => errors[`${at}.${part}`];
  const methods: string[] = METHODS.includes(request.method as (typeof METHODS)[number])
    ? [...METHODS]
    : [...METHODS, request.method];
  const mappingError = err("response") ?? err("jmespath");
  return (
    <fieldset className="space-y-3 rounded-md border border-indigo-200 bg-indigo-50/40 p-3 dark:border-indigo-900 dark:bg-indigo-950/30">
      <legend className="px-1 text-sm font-semibold">HTTP request of {label}</legend>
      <p className="text-xs text-zinc-600 dark:text-zinc-400">
        Path, query, headers and body may hold expressions over the action's parameters, e.g.{" "}
        <code className="font-mono">{"{{ params.id }}"}</code>.
      </p>
      <FieldError id={`${id}-error`} error={errors[at]} />
      <div className="grid gap-3 md:grid-cols-4">
        <div className="space-y-1">
          <label htmlFor={`${id}-method`} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
            Method
          </label>
          <select
            id={`${id}-method`}
            className={inputClass}
            value={request.method}
            onChange={(e) => onChange({ method: e.target.value })}
            aria-invalid={err("method") ? true : undefined}
            aria-describedby={err("method") ? `${id}-method-error` : undefined}
          >
            {methods.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-method-error`} error={err("method")} />
        </div>
        <div className="space-y-1 md:col-span-3">
          <span id={`${id}-path-label`} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
            Path
          </span>
          <CodeEditor
            id={`${id}-path`}
            language="expression"
            labelledBy={`${id}-path-label`}
            describedBy={err("path") ? `${id}-path-error` : undefined}
            invalid={!!err("path")}
            value={request.path}
            onChange={(path) => onChange({ path })}
            placeholder="/items/{{ params.id }}"
          />
          <FieldError id={`${id}-path-error`} error={err("path")} />
        </div>
      </div>
      <PairsEditor
        legend="Query parameters"
        what="query parameter"
        at={`${at}.query`}
        rows={request.query}
        errors={errors}
        onChange={(query) => onChange({ query })}
      />
      <PairsEditor
        legend="Headers"
        what="header"
        at={`${at}.headers`}
        rows={request.headers}
        errors={errors}
        onChange={(headers) => onChange({ headers })}
      />
      <div className="space-y-1">
        <span id={`${id}-body-label`} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
          Body (JSON template)
        </span>
        <CodeEditor
          id={`${id}-body`}
          language="expression"
          labelledBy={`${id}-body-label`}
          describedBy={err("body") ? `${id}-body-error` : `${id}-body-help`}
          invalid={!!err("body")}
          value={request.body}
          onChange={(body) => onChange({ body })}
          placeholder={'{"title": "{{ params.title }}"}'}
          gutter
          className="min-h-16"
        />
        <p id={`${id}-body-help`} className="text-xs text-zinc-500 dark:text-zinc-400">
          Empty: no body. A string that is one expression keeps its type (<code>{'"{{ params.tags }}"'}</code> is the
          list).
        </p>
        <FieldError id={`${id}-body-error`} error={err("body")} />
      </div>
      <div className="grid gap-3 md:grid-cols-3">
        <div className="space-y-1">
          <label htmlFor={`${id}-mapping`} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
            Response mapping
          </label>
          <select
            id={`${id}-mapping`}
            className={inputClass}
            value={request.mapping}
            onChange={(e) => onChange({ mapping: e.target.value as MappingKind })}
          >
            {MAPPINGS.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
        {request.mapping !== "body" && (
          <div className="space-y-1 md:col-span-2">
            <span id={`${id}-map-label`} className="block text-xs font-medium text-zinc-700 dark:text-zinc-300">
              {request.mapping === "jmespath" ? "JMESPath" : "Response expression"}
            </span>
            <CodeEditor
              id={`${id}-map`}
              language={request.mapping === "jmespath" ? "text" : "expression"}
              labelledBy={`${id}-map-label`}
              describedBy={mappingError ? `${id}-map-error` : undefined}
              invalid={!!mappingError}
              value={request.mappingText}
              onChange={(mappingText) => onChange({ mappingText })}
              placeholder={
                request.mapping === "jmespath" ? "items[].{id: id, title: title}" : "{{ {'id': response.body.id, 'status': response.status} }}"
              }
            />
            <FieldError id={`${id}-map-error`} error={mappingError} />
          </div>
        )}
      </div>
      <Button variant="ghost" onClick={onRemove} aria-label={`Remove request of ${label}`}>
        <Trash2 aria-hidden className="size-4 text-red-600" />
        Remove request
      </Button>
    </fieldset>
  );
}

interface PairsEditorProps {
  legend: string;
  what: string;
  at: string;
  rows: PairRow[];
  errors: RowErrors;
  onChange: (rows: PairRow[]) => void;
}

/** Name → value rows (query parameters, headers). */
function PairsEditor({ legend, what, at, rows, errors, onChange }: PairsEditorProps) {
  const id = useId();
  const update = (i: number, patch: Partial<PairRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset className="space-y-2">
      <legend className="text-xs font-semibold text-zinc-700 dark:text-zinc-300">{legend}</legend>
      {rows.map((row, i) => {
        const nameError = errors[`${at}[${i}].name`] ?? errors[`${at}.${row.name}`];
        const n = `${what} ${i + 1}`;
        return (
          <div key={row.key} className="flex flex-wrap items-start gap-2">
            <div className="min-w-32 flex-1">
              <input
                className={`${inputClass} font-mono`}
                aria-label={`Name of ${n}`}
                value={row.name}
                onChange={(e) => update(i, { name: e.target.value })}
                aria-invalid={nameError ? true : undefined}
                aria-describedby={nameError ? `${id}-${i}-error` : undefined}
                autoComplete="off"
              />
              <FieldError id={`${id}-${i}-error`} error={nameError} />
            </div>
            <input
              className={`${inputClass} min-w-48 flex-[2] font-mono`}
              aria-label={`Value of ${n}`}
              value={row.value}
              placeholder="{{ params.value }}"
              onChange={(e) => update(i, { value: e.target.value })}
              autoComplete="off"
            />
            <Button variant="ghost" aria-label={`Remove ${n}`} title="Remove" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
              <Trash2 aria-hidden className="size-4 text-red-600" />
            </Button>
          </div>
        );
      })}
      {errors[at] && <FieldError id={`${id}-error`} error={errors[at]} />}
      <Button onClick={() => onChange([...rows, emptyPair()])}>
        <Plus aria-hidden className="size-4" />
        Add {what}
      </Button>
    </fieldset>
  );
}
