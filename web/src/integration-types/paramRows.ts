/** The parameter builder's rows (all text, as typed) and their conversion to the API's
 * ParameterSpec, with the problems found on the way named by field. */
import type { ActionSpec, IntegrationTypeOut, ParameterOut, ParameterSpec } from "./api";
import { requestFrom, requestToSpec, type RequestRow } from "./httpSpec";

export const PARAM_TYPES = ["string", "number", "boolean", "password", "select", "json"] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export interface ParamRow {
  /** A stable React key (rows move). */
  key: string;
  name: string;
  type: ParamType;
  required: boolean;
  description: string;
  /** The default as typed: "" means none. */
  default: string;
  /** Options of a select, comma-separated. */
  options: string;
}

export interface ActionRow {
  key: string;
  name: string;
  display_name: string;
  description: string;
  parameters: ParamRow[];
  /** The HTTP request it sends (types with an `http` block); null: none. */
  request?: RequestRow | null;
}

let counter = 0;
export function newKey(): string {
  counter += 1;
  return `row-${counter}`;
}

export function emptyRow(): ParamRow {
  return { key: newKey(), name: "", type: "string", required: false, description: "", default: "", options: "" };
}

export function emptyAction(): ActionRow {
  return { key: newKey(), name: "", display_name: "", description: "", parameters: [], request: null };
}

function defaultText(value: unknown, type: ParamType): string {
  if (value === undefined || value === null) return "";
  if (type === "json") return JSON.stringify(value);
  return String(value);
}

export function rowFromParam(p: ParameterOut): ParamRow {
  const type = p.type;
  return {
    key: newKey(),
    name: p.name,
    type,
    required: p.required,
    description: p.description,
    default: defaultText(p.default, type),
    options: (p.options ?? []).join(", "),
  };
}

export function actionRowsFrom(t: IntegrationTypeOut): ActionRow[] {
  return t.actions.map((a) => ({
    key: newKey(),
    name: a.name,
    display_name: a.display_name,
    description: a.description,
    parameters: a.parameters.map(rowFromParam),
    request: requestFrom(a.request),
  }));
}

export function splitOptions(text: string): string[] {
  return text
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
}

/** Move the item at ``index`` by ``delta`` places (a no-op at either end). */
export function move<T>(items: T[], index: number, delta: number): T[] {
  const to = index + delta;
  if (to < 0 || to >= items.length) return items;
  const out = [...items];
  const [item] = out.splice(index, 1);
  out.splice(to, 0, item as T);
  return out;
}

/** Problems by field path, e.g. {"parameters[0].default": "not a number"}. */
export type RowErrors = Record<string, string>;

function parseDefault(row: ParamRow, options: string[]): { value?: unknown; error?: string } {
  const text = row.default.trim();
  if (!text) return {};
  switch (row.type) {
    case "number": {
      const n = Number(text);
      return Number.isFinite(n) ? { value: n } : { error: "default: not a number" };
    }
    case "boolean":
      if (text === "true" || text === "false") return { value: text === "true" };
      return { error: "default: true or false" };
    case "json":
      try {
        return { value: JSON.parse(text) as unknown };
      } catch {
        return { error: "default: not valid JSON" };
      }
    case "select":
      return options.includes(text) ? { value: text } : { error: "default: not one of the options" };
    default:
      return { value: row.default };
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
export const ACTION_NAME = /^[a-z][a-z0-9_]{0,99}$/;

export function rowsToSpecs(rows: ParamRow[], prefix: string, errors: RowErrors): ParameterSpec[] {
  const seen = new Set<string>();
  return rows.map((row, i) => {
    const at = `${prefix}[${i}]`;
    const name = row.name.trim();
    if (!name) errors[`${at}.name`] = "name: required";
    else if (!NAME.test(name)) errors[`${at}.name`] = "name: letters, digits and _ (not starting with a digit)";
    else if (seen.has(name)) errors[`${at}.name`] = `name: ${name} appears twice`;
    seen.add(name);
    const spec: ParameterSpec = { name, type: row.type, required: row.required, description: row.description.trim() };
    const options = splitOptions(row.options);
    if (row.type === "select") {
      if (options.length === 0) errors[`${at}.options`] = "options: a select needs at least one";
      spec.options = options;
    }
    const parsed = parseDefault(row, options);
    if (parsed.error) errors[`${at}.default`] = parsed.error;
    else if (parsed.value !== undefined) spec.default = parsed.value as never;
    return spec;
  });
}

export function actionsToSpecs(actions: ActionRow[], errors: RowErrors): ActionSpec[] {
  const seen = new Set<string>();
  return actions.map((a, i) => {
    const at = `actions[${i}]`;
    const name = a.name.trim();
    if (!ACTION_NAME.test(name)) errors[`${at}.name`] = "name: lower-case letters, digits and _, starting with a letter";
    else if (seen.has(name)) errors[`${at}.name`] = `name: ${name} appears twice`;
    seen.add(name);
    const spec: ActionSpec = {
      name,
      display_name: a.display_name.trim(),
      description: a.description.trim(),
      parameters: rowsToSpecs(a.parameters, `${at}.parameters`, errors),
    };
    if (a.request) spec.request = requestToSpec(a.request, `${at}.request`, errors) as ActionSpec["request"];
    return spec;
  });
}
