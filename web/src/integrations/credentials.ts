/** The credential form generated from a type's parameters: initial values (secrets never
 * filled in), and the values to send (with the problems found, by field). */
import type { ParameterOut } from "../integration-types/api";

/** What the API shows instead of a secret; sent back, it keeps the stored secret. */
export const MASK = "********";

export type FormValues = Record<string, string | boolean>;

/** A field whose stored value is hidden: a password field, or one the API masked. */
export function isSecret(p: ParameterOut, stored?: Record<string, unknown>): boolean {
  return p.type === "password" || stored?.[p.name] === MASK;
}

function text(value: unknown, json: boolean): string {
  if (value === undefined || value === null) return "";
  if (json) return JSON.stringify(value, null, 2);
  return String(value);
}

export function initialValues(params: ParameterOut[], stored?: Record<string, unknown>): FormValues {
  const out: FormValues = {};
  for (const p of params) {
    const value = stored && p.name in stored ? stored[p.name] : p.default;
    if (p.type === "boolean") out[p.name] = value === undefined || value === null ? false : Boolean(value);
    else if (isSecret(p, stored)) out[p.name] = "";
    else out[p.name] = text(value, p.type === "json");
  }
  return out;
}

export interface Built {
  credentials: Record<string, unknown>;
  errors: Record<string, string>;
}

/** The credentials to send. Editing (``stored`` given), a blank password sends the mask, which
 * keeps the stored secret, and other blank stored fields are left out, which keeps them too
 * (the API has no way to clear one); otherwise blank fields are left out (the type's default
 * applies) unless required. */
export function buildCredentials(params: ParameterOut[], values: FormValues, stored?: Record<string, unknown>): Built {
  const credentials: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const p of params) {
    const value = values[p.name];
    if (p.type === "boolean") {
      credentials[p.name] = Boolean(value);
      continue;
    }
    const raw = typeof value === "string" ? value : "";
    if (!raw.trim()) {
      // The API keeps a password sent as the mask; any other field left out keeps its value.
      if (stored && p.name in stored) {
        if (p.type === "password" && stored[p.name] === MASK) credentials[p.name] = MASK;
      } else if (p.required && (p.default === undefined || p.default === null)) errors[p.name] = "required";
      continue;
    }
    if (p.type === "number") {
      const n = Number(raw);
      if (Number.isFinite(n)) credentials[p.name] = n;
      else errors[p.name] = "not a number";
    } else if (p.type === "json") {
      try {
        credentials[p.name] = JSON.parse(raw) as unknown;
      } catch (e) {
        errors[p.name] = `not valid JSON (${e instanceof Error ? e.message : String(e)})`;
      }
    } else {
      credentials[p.name] = raw;
    }
  }
  return { credentials, errors };
}

/** allowed_hosts from the form: null (the default) or the listed hosts, one a line or
 * comma-separated; an empty list means nowhere. */
export function parseHosts(mode: "default" | "list", textValue: string): string[] | null {
  if (mode === "default") return null;
  return textValue
    .split(/[\n,]/)
    .map((h) => h.trim())
    .filter(Boolean);
}
