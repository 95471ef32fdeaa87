/** One parameter: its label (required marked), the Fixed ⇄ Expression switch, the control its
 * schema asks for, its description and default, and the server's message for it. */
import { useEffect, useId, useRef, useState } from "react";

import { Sparkles } from "lucide-react";

import { useAssistant } from "../../ai/assistant/api";
import { JsonSchemaBuilder } from "../../ai/assistant/JsonSchemaBuilder";
import { ModelPicker } from "../../ai/assistant/ModelPicker";
import { TemplatePicker } from "../../ai/assistant/TemplatePicker";
import { WriteWithAi } from "../../ai/assistant/WriteWithAi";
import { focusRing } from "../../components/ui";
import { CodeEditor } from "../../components/code/CodeEditor";
import { fieldClass, usePanel } from "./context";
import { ExpressionField } from "./ExpressionField";
import { IntegrationSelect } from "./IntegrationSelect";
import { JsonInput } from "./JsonInput";
import { ListEditor } from "./ListEditor";
import { ObjectFields } from "./ObjectFields";
import { isExpression, type FieldSpec } from "./paramSchema";
import { StringMapEditor } from "./StringMapEditor";

export interface ParamFieldProps {
  spec: FieldSpec;
  value: unknown;
  /** Undefined removes the parameter (its default applies). */
  onChange: (value: unknown) => void;
}

/** What a fixed value becomes as an expression, and back. */
export function toExpression(value: unknown): string {
  if (value === undefined || value === null || value === "") return "";
  if (typeof value === "string") return value;
  return `{{ ${JSON.stringify(value)} }}`;
}

function showDefault(spec: FieldSpec): string | null {
  if (!spec.hasDefault || spec.default === null || spec.default === undefined) return null;
  if (typeof spec.default === "string") return spec.default === "" ? null : spec.default;
  return JSON.stringify(spec.default);
}

export function ParamField({ spec, value, onChange }: ParamFieldProps) {
  const { fieldErrors, readOnly, idFor, nodeType, scope, params } = usePanel();
  const [writing, setWriting] = useState(false);
  const writeButton = useRef<HTMLButtonElement>(null);
  const id = idFor(spec.path);
  const labelId = useId();
  const [mode, setMode] = useState<"fixed" | "expression">(() =>
    spec.expressions && (isExpression(value) || (spec.preferExpression && (value === undefined || typeof value === "string")))
      ? "expression"
      : "fixed",
  );
  // A value that becomes an expression from outside (undo, paste of a node) shows as one.
  const external = spec.expressions && isExpression(value);
  useEffect(() => {
    if (external) setMode("expression");
  }, [external]);
  const error = ownError(spec, fieldErrors, mode);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const def = showDefault(spec);
  const hasHint = !!spec.description || def !== null;
  const describedBy = [hasHint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  const common = { id, labelledBy: labelId, describedBy, invalid: !!error };
  const canToggle = spec.expressions && spec.kind !== "const" && spec.kind !== "integration";
  // "Write with AI": expressions (any field in expression mode, text fields) and code.
  const aiKind: "expression" | "code" | null =
    spec.kind === "code" && spec.language === "python"
      ? "code"
      : spec.expressions && (mode === "expression" || spec.kind === "text" || spec.kind === "multiline")
        ? "expression"
        : null;
  // What the model may change: the field's text (never a secret field's value).
  const current = spec.kind === "secret" ? undefined : typeof value === "string" ? value : mode === "expression" ? toExpression(value) : undefined;

  // Closing the helper (used, cancelled, Escape) puts focus back on its button.
  function stopWriting() {
    setWriting(false);
    writeButton.current?.focus();
  }

  function switchTo(next: "fixed" | "expression") {
    if (next === mode) return;
    setMode(next);
    if (next === "expression") onChange(toExpression(value) || undefined);
    // Back to fixed: text stays text; any other kind starts again from its default.
    else if (isExpression(value) || (value !== undefined && typeof value === "string" && !acceptsText(spec))) {
      onChange(acceptsText(spec) ? value : undefined);
    }
  }

  return (
    <div className="space-y-1" data-field={spec.path}>
      <div className="flex flex-wrap items-center gap-2">
        <label id={labelId} htmlFor={id} className="text-sm font-medium">
          {spec.required ? `${spec.label} ` : spec.label}
          {spec.required && <span className="sr-only">(required)</span>}
        </label>
        {spec.required && (
          <span aria-hidden className="-ml-2 text-sm text-red-600 dark:text-red-400">
            *
          </span>
        )}
        <code className="text-xs text-zinc-500 dark:text-zinc-400">{spec.name}</code>
        {aiKind && !readOnly && (
          <button
            ref={writeButton}
            type="button"
            aria-label={`Write ${spec.label} with AI`}
            title="Write with AI"
            aria-expanded={writing}
            onClick={() => setWriting((w) => !w)}
            className={`ml-auto rounded p-0.5 text-violet-700 hover:bg-violet-50 dark:text-violet-300 dark:hover:bg-violet-950 ${focusRing}`}
          >
            <Sparkles aria-hidden className="size-3.5" />
          </button>
        )}
        {canToggle && (
          <ModeSwitch label={spec.label} mode={mode} onSwitch={switchTo} disabled={readOnly} inline={!!aiKind && !readOnly} />
        )}
      </div>
      {writing && aiKind && (
        <WriteWithAi
          kind={aiKind}
          nodeType={nodeType}
          paramName={spec.path.replace(/^params\./, "")}
          sample={scope.json}
          codeMode={params?.mode === "per_item" ? "per_item" : "once"}
          current={current}
          onClose={stopWriting}
          onUse={(text) => {
            if (aiKind === "expression") setMode("expression");
            onChange(text);
            stopWriting();
          }}
        />
      )}
      {mode === "expression" ? (
        <ExpressionField {...common} value={typeof value === "string" ? value : toExpression(value)} onChange={(v) => onChange(v === "" ? undefined : v)} />
      ) : (
        <FixedControl spec={spec} value={value} onChange={onChange} common={common} />
      )}
      {hasHint && (
        <p id={hintId} className="text-xs text-zinc-500 dark:text-zinc-400">
          {spec.description}
          {def !== null && (
            <>
              {spec.description ? " · " : ""}
              <span>
                Default: <code className="font-mono">{def}</code>
              </span>
            </>
          )}
        </p>
      )}
      {error && (
        <p id={errorId} className="whitespace-pre-line text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
    </div>
  );
}

/** The field's own message, plus those about parts of it that have no field of their own
 * (`params.headers[0].name` under a name/value editor, anything inside JSON or an expression). */
export function ownError(spec: FieldSpec, errors: Record<string, string>, mode: "fixed" | "expression"): string | undefined {
  const own = errors[spec.path];
  const nested = mode === "expression" || !["object", "list"].includes(spec.kind);
  if (!nested) return own;
  const parts = Object.entries(errors)
    .filter(([path]) => path.startsWith(`${spec.path}.`) || path.startsWith(`${spec.path}[`))
    .map(([path, message]) => `${path.slice(spec.path.length).replace(/^\./, "")}: ${message}`);
  const all = [own, ...parts].filter(Boolean);
  return all.length > 0 ? all.join("\n") : undefined;
}

function acceptsText(spec: FieldSpec): boolean {
  return ["text", "multiline", "secret", "code", "json", "model", "promptTemplate", "jsonSchema"].includes(spec.kind);
}

function ModeSwitch(props: { label: string; mode: "fixed" | "expression"; onSwitch: (m: "fixed" | "expression") => void; disabled: boolean; inline?: boolean }) {
  const { label, mode, onSwitch, disabled, inline } = props;
  const button = (m: "fixed" | "expression", text: string) => (
    <button
      type="button"
      aria-pressed={mode === m}
      disabled={disabled}
      onClick={() => onSwitch(m)}
      className={`rounded px-1.5 py-0.5 text-xs ${focusRing} ${
        mode === m ? "bg-indigo-600 text-white" : "text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
      } disabled:cursor-not-allowed`}
    >
      {text}
    </button>
  );
  return (
    <div role="group" aria-label={`${label}: value mode`} className={`${inline ? "" : "ml-auto "}flex gap-0.5 rounded-md border border-zinc-200 p-0.5 dark:border-zinc-700`}>
      {button("fixed", "Fixed")}
      {button("expression", "Expression")}
    </div>
  );
}

interface Common {
  id: string;
  labelledBy: string;
  describedBy: string | undefined;
  invalid: boolean;
}

function FixedControl({ spec, value, onChange, common }: ParamFieldProps & { common: Common }) {
  const { readOnly, params } = usePanel();
  const assistant = useAssistant(!!spec.modelProvider);
  const providerTypes = spec.modelProvider ? assistant.data?.provider_types : undefined;
  const input = {
    id: common.id,
    "aria-describedby": common.describedBy,
    "aria-invalid": common.invalid || undefined,
    disabled: readOnly,
  };
  const text = (v: unknown) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
  switch (spec.kind) {
    case "text":
    case "secret":
      return (
        <input
          {...input}
          className={fieldClass}
          type={spec.kind === "secret" ? "password" : "text"}
          autoComplete={spec.kind === "secret" ? "new-password" : "off"}
          value={text(value)}
          maxLength={spec.schema.maxLength}
          placeholder={typeof spec.examples?.[0] === "string" ? `e.g. ${spec.examples[0]}` : undefined}
          onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        />
      );
    case "multiline":
      return (
        <textarea {...input} className={fieldClass} rows={3} value={text(value)} onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)} />
      );
    case "code":
      return <CodeEditor {...common} readOnly={readOnly} gutter language={spec.language === "python" ? "python" : "text"} value={text(value)} onChange={(v) => onChange(v)} className="min-h-32" />;
    case "number":
    case "integer":
      return <NumberInput spec={spec} value={value} onChange={onChange} input={input} />;
    case "boolean":
      return (
        <input
          {...input}
          type="checkbox"
          className={`size-4 accent-indigo-600 ${focusRing}`}
          checked={value === undefined ? spec.default === true : value === true}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
    case "select":
      return <SelectInput spec={spec} value={value} onChange={onChange} input={input} />;
    case "const":
      return <input {...input} className={fieldClass} readOnly disabled value={text(spec.schema.const)} />;
    case "integration":
      return (
        <IntegrationSelect
          {...input}
          value={typeof value === "number" ? value : null}
          onChange={(v) => onChange(v ?? undefined)}
          typeKeys={spec.modelProvider ? providerTypes : undefined}
        />
      );
    case "model":
      return (
        <ModelPicker
          {...input}
          integrationId={typeof params?.integration_id === "number" ? params.integration_id : null}
          value={text(value)}
          onChange={onChange}
        />
      );
    case "promptTemplate":
      return <TemplatePicker {...input} value={text(value)} onChange={onChange} />;
    case "jsonSchema":
      return <JsonSchemaBuilder id={common.id} labelledBy={common.labelledBy} value={value} readOnly={readOnly} onChange={onChange} />;
    case "stringMap":
      return <StringMapEditor id={common.id} spec={spec} value={value} onChange={onChange} />;
    case "list":
      return <ListEditor id={common.id} spec={spec} value={value} onChange={onChange} />;
    case "object":
      return (
        <div className="rounded-md border border-zinc-200 p-3 dark:border-zinc-700" role="group" aria-labelledby={common.labelledBy}>
          <span id={common.id} tabIndex={-1} />
          <ObjectFields
            schema={spec.schema}
            path={spec.path}
            value={value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {}}
            onChange={(v) => onChange(Object.keys(v).length === 0 && spec.nullable ? undefined : v)}
          />
        </div>
      );
    default:
      return <JsonInput {...common} readOnly={readOnly} value={value} onChange={onChange} />;
  }
}

function NumberInput({ spec, value, onChange, input }: ParamFieldProps & { input: Record<string, unknown> }) {
  const [draft, setDraft] = useState<string | null>(null);
  const shown = draft ?? (typeof value === "number" ? String(value) : "");
  const s = spec.schema;
  return (
    <input
      {...input}
      className={fieldClass}
      type="number"
      inputMode={spec.kind === "integer" ? "numeric" : "decimal"}
      step={spec.kind === "integer" ? 1 : "any"}
      min={s.minimum ?? s.exclusiveMinimum}
      max={s.maximum ?? s.exclusiveMaximum}
      placeholder={spec.hasDefault && typeof spec.default === "number" ? String(spec.default) : undefined}
      value={shown}
      onChange={(e) => {
        const t = e.target.value;
        setDraft(t);
        if (t.trim() === "") onChange(undefined);
        else {
          const n = Number(t);
          if (Number.isFinite(n)) onChange(spec.kind === "integer" ? Math.trunc(n) : n);
        }
      }}
      onBlur={() => setDraft(null)}
    />
  );
}

function SelectInput({ spec, value, onChange, input }: ParamFieldProps & { input: Record<string, unknown> }) {
  const options = spec.options ?? [];
  const index = options.findIndex((o) => o === value);
  const blank = spec.hasDefault && spec.default !== null ? `(default: ${String(spec.default)})` : spec.required ? "(choose)" : "(none)";
  return (
    <select
      {...input}
      className={fieldClass}
      value={index >= 0 ? String(index) : ""}
      onChange={(e) => onChange(e.target.value === "" ? undefined : options[Number(e.target.value)])}
    >
      <option value="">{blank}</option>
      {options.map((o, i) => (
        <option key={String(o)} value={String(i)}>
          {String(o)}
        </option>
      ))}
    </select>
  );
}
