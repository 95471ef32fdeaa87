/** A declarative HTTP type's form state (base URL, auth scheme, each action's request), all
 * text as typed, and its conversion to the API's `http` and `request` blocks, with the
 * problems found on the way named by the same field paths the server uses in its 422s. */
import { toApiError } from "../api/errors";
import { newKey, type ParamRow, type RowErrors } from "./paramRows";

export const AUTH_KINDS = ["none", "api_key_header", "api_key_query", "bearer", "basic", "oauth2"] as const;
export type AuthKind = (typeof AUTH_KINDS)[number];

export const AUTH_LABELS: Record<AuthKind, string> = {
  none: "None",
  api_key_header: "API key in a header",
  api_key_query: "API key in the query",
  bearer: "Bearer token",
  basic: "Basic (user name and password)",
  oauth2: "OAuth2",
};

export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

export interface HttpState {
  /** Whether the type sends HTTP requests at all (has an `http` block). */
  enabled: boolean;
  baseUrl: string;
  kind: AuthKind;
  /** Header or query parameter name (api_key_*). */
  name: string;
  /** Credential field with the key or token (api_key_*, bearer). */
  field: string;
  usernameField: string;
  passwordField: string;
}

export interface PairRow {
  key: string;
  name: string;
  value: string;
}

export type MappingKind = "body" | "jmespath" | "expression";

export interface RequestRow {
  method: string;
  path: string;
  query: PairRow[];
  headers: PairRow[];
  /** The JSON body as typed (strings may hold {{ }}); "" means none. */
  body: string;
  mapping: MappingKind;
  /** The JMESPath or the expression, per `mapping`. */
  mappingText: string;
}

export function emptyHttp(): HttpState {
  return { enabled: false, baseUrl: "", kind: "none", name: "", field: "api_key", usernameField: "username", passwordField: "password" };
}

export function emptyRequest(): RequestRow {
  return { method: "GET", path: "/", query: [], headers: [], body: "", mapping: "body", mappingText: "" };
}

export function emptyPair(): PairRow {
  return { key: newKey(), name: "", value: "" };
}

function text(value: unknown, fallback = ""): string {
  if (value === undefined || value === null) return fallback;
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function httpFrom(http: Record<string, unknown> | null | undefined): HttpState {
  if (!http) return emptyHttp();
  const auth = (http.auth ?? {}) as Record<string, unknown>;
  const kind = AUTH_KINDS.includes(auth.kind as AuthKind) ? (auth.kind as AuthKind) : "none";
  return {
    enabled: true,
    baseUrl: text(http.base_url),
    kind,
    name: text(auth.name),
    field: text(auth.field, "api_key"),
    usernameField: text(auth.username_field, "username"),
    passwordField: text(auth.password_field, "password"),
  };
}

function pairsFrom(value: unknown): PairRow[] {
  if (!value || typeof value !== "object" || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>).map(([name, v]) => ({ key: newKey(), name, value: text(v) }));
}

export function requestFrom(request: Record<string, unknown> | null | undefined): RequestRow | null {
  if (!request) return null;
  const jmespath = request.jmespath;
  const response = request.response;
  return {
    method: text(request.method, "GET"),
    path: text(request.path, "/"),
    query: pairsFrom(request.query),
    headers: pairsFrom(request.headers),
    body: request.body === undefined || request.body === null ? "" : JSON.stringify(request.body, null, 2),
    mapping: typeof jmespath === "string" && jmespath ? "jmespath" : typeof response === "string" && response ? "expression" : "body",
    mappingText: typeof jmespath === "string" && jmespath ? jmespath : typeof response === "string" ? response : "",
  };
}

const HTTP_URL = /^https?:\/\/\S+$/;
const HEADER_NAME = /^[A-Za-z0-9_\-.]+$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;

/** The `http` block, or null for a type without one. */
export function httpToSpec(state: HttpState, params: ParamRow[], errors: RowErrors): Record<string, unknown> | null {
  if (!state.enabled) return null;
  const baseUrl = state.baseUrl.trim();
  if (!HTTP_URL.test(baseUrl)) errors["http.base_url"] = "base URL: an http:// or https:// URL";
  const names = new Set(params.map((p) => p.name.trim()));
  const auth: Record<string, unknown> = { kind: state.kind };
  const needField = (attr: string, value: string) => {
    const v = value.trim();
    if (!FIELD.test(v)) errors[`http.auth.${attr}`] = "a credential field name";
    else if (!names.has(v)) errors[`http.auth.${attr}`] = `no credential field named ${v}: add it above`;
    auth[attr] = v;
  };
  if (state.kind === "api_key_header" || state.kind === "api_key_query") {
    const name = state.name.trim();
    if (!HEADER_NAME.test(name)) {
      errors["http.auth.name"] = state.kind === "api_key_header" ? "the header name, e.g. X-Api-Key" : "the query parameter name, e.g. api_key";
    }
    auth.name = name;
    needField("field", state.field);
  } else if (state.kind === "bearer") {
    needField("field", state.field);
  } else if (state.kind === "basic") {
    needField("username_field", state.usernameField);
    needField("password_field", state.passwordField);
  }
  return { base_url: baseUrl, auth };
}

function pairsToObject(rows: PairRow[], at: string, errors: RowErrors): Record<string, string> {
  const out: Record<string, string> = {};
  rows.forEach((row, i) => {
    const name = row.name.trim();
    if (!name) errors[`${at}[${i}].name`] = "name: required";
    else if (name in out) errors[`${at}[${i}].name`] = `name: ${name} appears twice`;
    out[name] = row.value;
  });
  return out;
}

/** A body as typed: JSON (its strings may hold expressions), or one bare `{{ … }}` string. */
export function parseBody(body: string): { value?: unknown; error?: string } {
  const t = body.trim();
  if (!t) return {};
  try {
    return { value: JSON.parse(t) as unknown };
  } catch {
    if (/^\{\{[\s\S]*\}\}$/.test(t)) return { value: t };
    return { error: "body: not valid JSON (strings may hold {{ expressions }})" };
  }
}

export function requestToSpec(row: RequestRow, at: string, errors: RowErrors): Record<string, unknown> {
  const path = row.path.trim() || "/";
  if (/^(https?:)?\/\//i.test(path)) errors[`${at}.path`] = "path: relative to the base URL (e.g. /items)";
  const spec: Record<string, unknown> = {
    method: row.method.trim() || "GET",
    path,
    query: pairsToObject(row.query, `${at}.query`, errors),
    headers: pairsToObject(row.headers, `${at}.headers`, errors),
  };
  const body = parseBody(row.body);
  if (body.error) errors[`${at}.body`] = body.error;
  else if (body.value !== undefined) spec.body = body.value;
  const mapping = row.mappingText.trim();
  if (row.mapping === "jmespath") {
    if (!mapping) errors[`${at}.jmespath`] = "JMESPath: required (or map nothing)";
    spec.jmespath = mapping;
  } else if (row.mapping === "expression") {
    if (!mapping) errors[`${at}.response`] = "expression: required (or map nothing)";
    spec.response = mapping;
  }
  return spec;
}

/** A 422's field errors as form errors: `body.http.base_url` → `http.base_url`. */
export function serverErrors(error: unknown): RowErrors {
  if (!error) return {};
  const out: RowErrors = {};
  for (const f of toApiError(error).errors) {
    const field = f.field.replace(/^body\./, "");
    out[field] ??= f.message;
  }
  return out;
}

/** The OAuth2 credential fields (what the client needs), for a type whose auth is oauth2. */
export const OAUTH2_FIELDS: Omit<ParamRow, "key">[] = [
  {
    name: "grant",
    type: "select",
    required: false,
    description: "OAuth2 grant: client_credentials, or authorization_code (Connect on the Integrations page)",
    default: "authorization_code",
    options: "client_credentials, authorization_code",
  },
  { name: "client_id", type: "string", required: true, description: "OAuth2 client id", default: "", options: "" },
  { name: "client_secret", type: "password", required: false, description: "OAuth2 client secret", default: "", options: "" },
  { name: "token_url", type: "string", required: true, description: "Token endpoint URL", default: "", options: "" },
  { name: "authorize_url", type: "string", required: false, description: "Authorization endpoint URL (authorization_code)", default: "", options: "" },
  { name: "scope", type: "string", required: false, description: "Scopes, space separated", default: "", options: "" },
];

/** The credential fields an auth scheme needs that `params` lacks (to offer adding them). */
export function missingAuthFields(state: HttpState, params: ParamRow[]): Omit<ParamRow, "key">[] {
  const have = new Set(params.map((p) => p.name.trim()));
  const secret = (name: string): Omit<ParamRow, "key"> => ({
    name,
    type: "password",
    required: true,
    description: "",
    default: "",
    options: "",
  });
  switch (state.kind) {
    case "api_key_header":
    case "api_key_query":
    case "bearer":
      return state.field.trim() && !have.has(state.field.trim()) ? [secret(state.field.trim())] : [];
    case "basic":
      return [
        ...(state.usernameField.trim() && !have.has(state.usernameField.trim())
          ? [{ ...secret(state.usernameField.trim()), type: "string" as const }]
          : []),
        ...(state.passwordField.trim() && !have.has(state.passwordField.trim()) ? [secret(state.passwordField.trim())] : []),
      ];
    case "oauth2":
      return OAUTH2_FIELDS.filter((f) => !have.has(f.name));
    default:
      return [];
  }
}
