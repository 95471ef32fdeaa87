/** Import an OpenAPI 3 description as a custom integration type: upload a file, paste the
 * JSON or YAML, or give its URL (the server fetches it through its SSRF guard). */
import { CheckCircle2, FileUp } from "lucide-react";
import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { fieldError } from "../components/ErrorMessage";
import { ErrorMessage } from "../components/ErrorMessage";
import { Button, Field, focusRing, inputClass } from "../components/ui";
import { Dialog } from "../editor/Dialog";
import { useImportOpenApi, type ImportSource, type IntegrationTypeOut } from "./api";
import { AUTH_LABELS, type AuthKind } from "./httpSpec";

export type ImportTab = "file" | "paste" | "url";
const TABS: { value: ImportTab; label: string }[] = [
  { value: "file", label: "Upload a file" },
  { value: "paste", label: "Paste JSON or YAML" },
  { value: "url", label: "From a URL" },
];

const OPERATION_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** How many operations a JSON description declares (null: not JSON, e.g. YAML). */
export function countOperations(text: string): number | null {
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch {
    return null;
  }
  const paths = (spec as { paths?: unknown } | null)?.paths;
  if (!paths || typeof paths !== "object") return null;
  let n = 0;
  for (const item of Object.values(paths as Record<string, unknown>)) {
    if (!item || typeof item !== "object") continue;
    for (const m of OPERATION_METHODS) if ((item as Record<string, unknown>)[m]) n += 1;
  }
  return n;
}

export interface OpenApiImportDialogProps {
  onClose: () => void;
  /** Open the new type (in the type form). */
  onOpen: (t: IntegrationTypeOut) => void;
}

export function OpenApiImportDialog({ onClose, onOpen }: OpenApiImportDialogProps) {
  const [tab, setTab] = useState<ImportTab>("paste");
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState("");
  const [url, setUrl] = useState("");
  const [key, setKey] = useState("");
  const [name, setName] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [missing, setMissing] = useState("");
  const [declared, setDeclared] = useState<number | null>(null);
  const run = useImportOpenApi();
  const id = useId();
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const result = run.data;

  async function submit(event: FormEvent) {
    event.preventDefault();
    let source: ImportSource;
    if (tab === "file") {
      if (!file) return setMissing("Choose a file first.");
      source = { file };
      setDeclared(countOperations(await file.text()));
    } else if (tab === "paste") {
      if (!text.trim()) return setMissing("Paste the description first.");
      source = { spec: text };
      setDeclared(countOperations(text));
    } else {
      if (!/^https?:\/\/\S+$/.test(url.trim())) return setMissing("Give an http:// or https:// URL.");
      source = { url: url.trim() };
      setDeclared(null);
    }
    setMissing("");
    run.mutate({
      source,
      key: key.trim() || undefined,
      name: name.trim() || undefined,
      base_url: baseUrl.trim() || undefined,
    });
  }

  function onTabKey(e: KeyboardEvent, index: number) {
    const delta = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!delta) return;
    e.preventDefault();
    const next = (index + delta + TABS.length) % TABS.length;
    setTab(TABS[next]!.value);
    tabRefs.current[next]?.focus();
  }

  const skipped = result && declared !== null ? declared - result.actions.length : 0;
  const auth = ((result?.http?.auth ?? {}) as Record<string, unknown>).kind as AuthKind | undefined;

  return (
    <Dialog
      title="Import from OpenAPI 3"
      onClose={onClose}
      wide
      footer={
        result ? (
          <>
            <Button onClick={onClose}>Close</Button>
            <Button variant="primary" onClick={() => onOpen(result)}>
              Open “{result.display_name || result.key}”
            </Button>
          </>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button type="submit" form={`${id}-form`} variant="primary" disabled={run.isPending}>
              <FileUp aria-hidden className="size-4" />
              {run.isPending ? "Importing…" : "Import"}
            </Button>
          </>
        )
      }
    >
      {result ? (
        <div role="status" className="space-y-2 text-sm">
          <p className="flex items-center gap-2 font-medium text-emerald-700 dark:text-emerald-400">
            <CheckCircle2 aria-hidden className="size-4" />
            Imported “{result.display_name || result.key}”
          </p>
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
            <dt className="text-zinc-500 dark:text-zinc-400">Key</dt>
            <dd>
              <code className="font-mono">{result.key}</code>
            </dd>
            <dt className="text-zinc-500 dark:text-zinc-400">Actions</dt>
            <dd>{result.actions.length}</dd>
            <dt className="text-zinc-500 dark:text-zinc-400">Base URL</dt>
            <dd className="font-mono">{String(result.http?.base_url ?? "")}</dd>
            <dt className="text-zinc-500 dark:text-zinc-400">Auth</dt>
            <dd>{auth ? (AUTH_LABELS[auth] ?? auth) : "None"}</dd>
          </dl>
          {skipped > 0 ? (
            <p className="rounded-md bg-amber-50 p-2 text-amber-900 dark:bg-amber-950 dark:text-amber-200">
              Warning: the description declares {declared} operations; {skipped} of them did not become actions.
            </p>
          ) : (
            <p className="text-zinc-600 dark:text-zinc-400">No warnings: every operation is an action.</p>
          )}
          <ul className="max-h-48 list-disc overflow-y-auto pl-6 font-mono text-xs">
            {result.actions.map((a) => (
              <li key={a.name}>
                {result.key}.{a.name}
                {a.request ? ` — ${String(a.request.method)} ${String(a.request.path)}` : ""}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <form id={`${id}-form`} onSubmit={submit} className="space-y-4" noValidate aria-label="Import from OpenAPI 3">
          <div role="tablist" aria-label="Where the description comes from" className="flex gap-1 border-b border-zinc-200 dark:border-zinc-800">
            {TABS.map((t, i) => (
              <button
                key={t.value}
                ref={(el) => {
                  tabRefs.current[i] = el;
                }}
                type="button"
                role="tab"
                id={`${id}-tab-${t.value}`}
                aria-selected={tab === t.value}
                aria-controls={`${id}-panel`}
                tabIndex={tab === t.value ? 0 : -1}
                onClick={() => setTab(t.value)}
                onKeyDown={(e) => onTabKey(e, i)}
                className={`-mb-px border-b-2 px-3 py-1.5 text-sm ${focusRing} ${
                  tab === t.value
                    ? "border-indigo-600 font-medium text-indigo-700 dark:border-indigo-400 dark:text-indigo-300"
                    : "border-transparent text-zinc-600 hover:text-zinc-900 dark:text-zinc-400 dark:hover:text-zinc-100"
                }`}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${tab}`} className="space-y-2">
            {tab === "file" && (
              <div className="space-y-1">
                <label htmlFor={`${id}-file`} className="block text-sm font-medium">
                  OpenAPI file (JSON or YAML)
                </label>
                <input
                  id={`${id}-file`}
                  type="file"
                  accept=".json,.yaml,.yml,application/json,application/yaml,text/yaml"
                  className="block text-sm file:mr-3 file:rounded-md file:border-0 file:bg-zinc-100 file:px-3 file:py-1.5 dark:file:bg-zinc-800 dark:file:text-zinc-100"
                  onChange={(e) => setFile(e.target.files?.[0] ?? null)}
                />
              </div>
            )}
            {tab === "paste" && (
              <div className="space-y-1">
                <label htmlFor={`${id}-text`} className="block text-sm font-medium">
                  OpenAPI description (JSON or YAML)
                </label>
                <textarea
                  id={`${id}-text`}
                  className={`${inputClass} font-mono text-xs`}
                  rows={12}
                  spellCheck={false}
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  placeholder={'openapi: 3.0.3\ninfo: {title: Acme API}\nservers: [{url: "https://api.acme.com"}]\npaths: …'}
                />
              </div>
            )}
            {tab === "url" && (
              <Field
                label="URL of the description"
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                placeholder="https://api.acme.com/openapi.json"
                inputMode="url"
                autoComplete="off"
                error={fieldError(run.error, "url")}
              />
            )}
            {missing && (
              <p role="alert" className="text-sm text-red-600 dark:text-red-400">
                {missing}
              </p>
            )}
          </div>
          <details className="text-sm">
            <summary className={`cursor-pointer ${focusRing}`}>Options: key, name, base URL</summary>
            <div className="mt-2 grid gap-3 md:grid-cols-3">
              <Field label="Key (optional)" value={key} onChange={(e) => setKey(e.target.value)} placeholder="acme" autoComplete="off" error={fieldError(run.error, "key")} />
              <Field label="Name (optional)" value={name} onChange={(e) => setName(e.target.value)} placeholder="from info.title" autoComplete="off" />
              <Field
                label="Base URL (optional)"
                value={baseUrl}
                onChange={(e) => setBaseUrl(e.target.value)}
                placeholder="from servers[0]"
                autoComplete="off"
                error={fieldError(run.error, "base_url")}
              />
            </div>
          </details>
          <ErrorMessage error={run.error} title="Could not import" />
        </form>
      )}
    </Dialog>
  );
}
