import { useId } from "react";

import { inputClass } from "../components/ui";
import type { ParameterOut } from "../integration-types/api";
import { isSecret, type FormValues } from "./credentials";

export interface CredentialFieldsProps {
  params: ParameterOut[];
  values: FormValues;
  errors: Record<string, string>;
  /** The stored (masked) credentials when editing. */
  stored?: Record<string, unknown> | undefined;
  onChange: (name: string, value: string | boolean) => void;
}

/** One input per parameter of the type, chosen by its type. */
export function CredentialFields({ params, values, errors, stored, onChange }: CredentialFieldsProps) {
  const base = useId();
  if (params.length === 0) {
    return <p className="text-sm text-zinc-500 dark:text-zinc-400">This type has no credential fields.</p>;
  }
  return (
    <div className="grid gap-4 md:grid-cols-2">
      {params.map((p) => {
        const id = `${base}-${p.name}`;
        const error = errors[p.name];
        const hintId = `${id}-hint`;
        const errorId = `${id}-error`;
        const secret = isSecret(p, stored);
        const kept = secret && stored?.[p.name] !== undefined;
        const hint = [p.description, kept ? "A value is stored: leave blank to keep it." : ""].filter(Boolean).join(" ");
        const describedBy = [hint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ") || undefined;
        const label = `${p.name}${p.required ? " (required)" : ""}`;
        const common = {
          id,
          "aria-invalid": error ? true : undefined,
          "aria-describedby": describedBy,
        } as const;
        const value = values[p.name];
        const str = typeof value === "string" ? value : "";
        let control: React.ReactNode;
        if (p.type === "boolean") {
          return (
            <div key={p.name} className="space-y-1 md:col-span-2">
              <label className="flex items-center gap-2 text-sm font-medium">
                <input
                  type="checkbox"
                  {...common}
                  checked={value === true}
                  onChange={(e) => onChange(p.name, e.target.checked)}
                  className="size-4 accent-indigo-600"
                />
                {p.name}
              </label>
              {hint && (
                <p id={hintId} className="text-xs text-zinc-500 dark:text-zinc-400">
                  {hint}
                </p>
              )}
            </div>
          );
        } else if (p.type === "select") {
          control = (
            <select {...common} className={inputClass} value={str} onChange={(e) => onChange(p.name, e.target.value)}>
              <option value="">(choose)</option>
              {(p.options ?? []).map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          );
        } else if (p.type === "json") {
          control = (
            <textarea
              {...common}
              className={`${inputClass} font-mono`}
              rows={4}
              value={str}
              spellCheck={false}
              onChange={(e) => onChange(p.name, e.target.value)}
            />
          );
        } else {
          control = (
            <input
              {...common}
              className={inputClass}
              type={secret ? "password" : p.type === "number" ? "number" : "text"}
              autoComplete={secret ? "new-password" : "off"}
              placeholder={kept ? "•••••••• (unchanged)" : undefined}
              value={str}
              onChange={(e) => onChange(p.name, e.target.value)}
            />
          );
        }
        return (
          <div key={p.name} className={`space-y-1 ${p.type === "json" ? "md:col-span-2" : ""}`}>
            <label htmlFor={id} className="block text-sm font-medium">
              {label}
            </label>
            {control}
            {hint && (
              <p id={hintId} className="text-xs text-zinc-500 dark:text-zinc-400">
                {hint}
              </p>
            )}
            {error && (
              <p id={errorId} className="text-sm text-red-600 dark:text-red-400">
                {p.name}: {error}
              </p>
            )}
          </div>
        );
      })}
    </div>
  );
}
