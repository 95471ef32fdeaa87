/**
 * From a node type's params JSON Schema (as pydantic v2 writes it) to the fields of the
 * parameter form: one `FieldSpec` per property, with the kind of control it needs. Pure, so
 * every schema the registry produces can be tested without rendering.
 */
import type { JsonSchema } from "../types";

export type FieldKind =
  | "text"
  | "multiline"
  | "secret"
  | "code"
  | "number"
  | "integer"
  | "boolean"
  | "select"
  | "const"
  | "json"
  | "list"
  | "object"
  | "stringMap"
  | "integration"
  /** An AI node's model: suggestions from the chosen provider integration. */
  | "model"
  /** A prompt template of the library, by name. */
  | "promptTemplate"
  /** A JSON Schema, built field by field (or edited as JSON). */
  | "jsonSchema";

export interface FieldSpec {
  /** The property's key in its object. */
  name: string;
  /** Where it sits in the node, e.g. `params.rules[0].output` (the server's error paths). */
  path: string;
  label: string;
  description?: string | undefined;
  required: boolean;
  /** Null is allowed (an `anyOf` with `{"type": "null"}`): clearing it removes the key. */
  nullable: boolean;
  hasDefault: boolean;
  default?: unknown;
  kind: FieldKind;
  /** The property's schema with `$ref` and the null branch resolved away. */
  schema: JsonSchema;
  /** Choices of a select. */
  options?: unknown[] | undefined;
  /** Whether `{{ }}` may be used (false for `x-expressions: false`, e.g. core.code's code). */
  expressions: boolean;
  /** Open in expression mode when empty (conditions: `x-truthy`). */
  preferExpression: boolean;
  /** Code editor language (`code` kind). */
  language?: string | undefined;
  examples?: unknown[] | undefined;
  /** The element schema of a `list` (resolved). */
  itemSchema?: JsonSchema | undefined;
  /** An `integration` that must serve models (`x-model-provider`). */
  modelProvider?: boolean | undefined;
}

export interface SchemaContext {
  root: JsonSchema;
  /** The node's type (e.g. `core.code`), for the few choices schemas cannot express. */
  nodeType?: string | undefined;
}

/** Follow a local `$ref` (`#/$defs/Name`); other refs are left as they are. */
export function deref(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let depth = 0; current.$ref && depth < 20; depth++) {
    const match = /^#\/\$defs\/(.+)$/.exec(current.$ref);
    const target = match ? root.$defs?.[match[1]!] : undefined;
    if (!target) break;
    const { $ref: _ignored, ...rest } = current;
    current = { ...target, ...rest };
  }
  return current;
}

function isNull(s: JsonSchema): boolean {
  return s.type === "null" || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === "null");
}

/** The schema without its null branch, and whether null was allowed. */
export function unwrapNullable(schema: JsonSchema, root: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const s = deref(schema, root);
  const branches = s.anyOf ?? s.oneOf;
  if (!branches) return { schema: s, nullable: false };
  const rest = branches.filter((b) => !isNull(b)).map((b) => deref(b, root));
  const nullable = rest.length < branches.length;
  if (rest.length === 1) {
    const { anyOf: _a, oneOf: _o, ...outer } = s;
    return { schema: { ...outer, ...rest[0] }, nullable };
  }
  return { schema: { ...s, anyOf: rest, oneOf: undefined }, nullable };
}

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== "null");
  return s.type;
}

function isSecretSchema(s: JsonSchema): boolean {
  return s.format === "password" || s["x-secret"] === true || (s as { writeOnly?: boolean }).writeOnly === true;
}

/** The control a (resolved, non-null) schema needs. */
export function kindOf(name: string, s: JsonSchema, ctx: SchemaContext): FieldKind {
  if (s.const !== undefined) return "const";
  if (s.enum) return "select";
  const branchTypes = s.anyOf?.map(typeOf) ?? [];
  if (branchTypes.length > 0) {
    // e.g. a condition: boolean or an expression string.
    if (branchTypes.includes("boolean") && branchTypes.includes("string")) return "boolean";
    return "json";
  }
  const t = typeOf(s);
  if (name === "integration_id" && (t === "integer" || t === undefined)) return "integration";
  const widget = s["x-widget"];
  if (widget === "model-picker" && t === "string") return "model";
  if (widget === "prompt-template" && t === "string") return "promptTemplate";
  if (widget === "json-schema" && t === "object") return "jsonSchema";
  switch (t) {
    case "string":
      if (isSecretSchema(s)) return "secret";
      if (languageOf(name, s, ctx)) return "code";
      return (s.maxLength ?? 0) >= 10000 ? "multiline" : "text";
    case "number":
      return "number";
    case "integer":
      return "integer";
    case "boolean":
      return "boolean";
    case "array": {
      const items = s.items ? deref(s.items, ctx.root) : undefined;
      if (!items) return "json";
      const it = typeOf(items);
      return it === "object" || it === "string" || it === "number" || it === "integer" ? "list" : "json";
    }
    case "object": {
      if (s.properties && Object.keys(s.properties).length > 0) return "object";
      const ap = s.additionalProperties;
      if (ap && typeof ap === "object" && typeOf(deref(ap, ctx.root)) === "string") return "stringMap";
      return "json";
    }
    default:
      return "json";
  }
}

function languageOf(name: string, s: JsonSchema, ctx: SchemaContext): string | undefined {
  const declared = s["x-language"] ?? s["x-code"];
  if (typeof declared === "string") return declared;
  // core.code's code is Python (its schema only says x-expressions: false).
  if (ctx.nodeType === "core.code" && name === "code") return "python";
  return undefined;
}

/** Words a param name spells in lower case that read as acronyms ("json_schema" → "JSON schema"). */
const ACRONYMS = new Set([
  "ai", "api", "aws", "bcc", "cc", "csv", "html", "http", "https", "id", "ids", "imap", "ip", "json", "jwt",
  "llm", "pdf", "rag", "s3", "smtp", "sns", "sql", "sqs", "ssl", "tls", "ttl", "uri", "url", "urls", "utc", "xml",
]);

/** A param's label from its name: words split on "_", the first capitalised, acronyms in capitals. */
export function humanise(name: string): string {
  const words = name.split("_").filter(Boolean).map((w) => (ACRONYMS.has(w.toLowerCase()) ? w.toUpperCase().replace(/S$/, "s") : w));
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One field of an object schema's property. */
export function fieldSpec(
  name: string,
  raw: JsonSchema,
  parentPath: string,
  required: boolean,
  ctx: SchemaContext,
): FieldSpec {
  const { schema, nullable } = unwrapNullable(raw, ctx.root);
  let kind = kindOf(name, schema, ctx);
  // One allowed value or none (core.wait's `resume: webhook`): a choice, not a fixed value.
  if (kind === "const" && nullable) kind = "select";
  const hasDefault = "default" in raw || "default" in schema;
  const def = "default" in raw ? raw.default : schema.default;
  const examples = (raw as { examples?: unknown[] }).examples ?? (schema as { examples?: unknown[] }).examples;
  const spec: FieldSpec = {
    name,
    path: parentPath ? `${parentPath}.${name}` : name,
    label: humanise(name),
    description: raw.description ?? schema.description,
    required,
    nullable,
    hasDefault,
    default: def,
    kind,
    schema,
    expressions: raw["x-expressions"] !== false && schema["x-expressions"] !== false,
    preferExpression: raw["x-truthy"] === true || schema["x-truthy"] === true,
    examples,
  };
  if (kind === "select") spec.options = schema.enum ?? [schema.const];
  if (kind === "integration" && (raw["x-model-provider"] === true || schema["x-model-provider"] === true)) spec.modelProvider = true;
  if (kind === "code") spec.language = languageOf(name, schema, ctx);
  if (kind === "list" && schema.items) spec.itemSchema = deref(schema.items, ctx.root);
  return spec;
}

/** The fields of an object schema (its properties, in declaration order). */
export function objectFields(schema: JsonSchema, parentPath: string, ctx: SchemaContext): FieldSpec[] {
  const s = deref(schema, ctx.root);
  const required = new Set(s.required ?? []);
  return Object.entries(s.properties ?? {}).map(([name, prop]) =>
    fieldSpec(name, prop, parentPath, required.has(name), ctx),
  );
}

/** A new element for a list: an object with its required fields' defaults, or an empty value. */
export function emptyValue(schema: JsonSchema, root: JsonSchema): unknown {
  const s = deref(schema, root);
  if (s.default !== undefined) return structuredClone(s.default);
  switch (typeOf(s)) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        const p = unwrapNullable(prop, root).schema;
        if ((s.required ?? []).includes(key)) {
          out[key] = p.default !== undefined ? structuredClone(p.default) : p.enum ? p.enum[0] : emptyValue(p, root);
        }
      }
      return out;
    }
    case "string":
      return "";
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "array":
      return [];
    default:
      return "";
  }
}

/** A value holds an expression when it is a string with `{{` (or a Jinja `{%` block). */
export function isExpression(value: unknown): value is string {
  return typeof value === "string" && (value.includes("{{") || value.includes("{%"));
}
