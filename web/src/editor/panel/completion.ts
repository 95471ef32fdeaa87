/**
 * Autocomplete of expressions, as a pure function: the text before the cursor, what the last
 * run saw (the scope) and the library's functions → where the completed word starts and the
 * options. The CodeMirror source (components/code) only adapts this.
 */
import type { ExpressionScope } from "../types";
import type { ExprFunction } from "./expressionsApi";

export type OptionType = "variable" | "property" | "function" | "filter" | "node";

export interface CompletionOption {
  label: string;
  /** What replaces the text from `from` to the cursor. */
  apply: string;
  type: OptionType;
  detail?: string | undefined;
  info?: string | undefined;
}

export interface CompletionResult {
  /** Offset in the text where the replaced part starts. */
  from: number;
  options: CompletionOption[];
}

/** Names every expression sees (docs/workflows.md, "Expressions"). */
export const ROOT_NAMES: { name: string; info: string }[] = [
  { name: "json", info: "the current item" },
  { name: "item", info: "the current item" },
  { name: "items", info: "all items on the node's input" },
  { name: "nodes", info: "earlier nodes by display name: nodes['Name'].json" },
  { name: "trigger", info: "the trigger's first item" },
  { name: "vars", info: "workspace variables" },
  { name: "execution", info: "id, mode, resume_url" },
  { name: "workflow", info: "id, name" },
  { name: "now", info: "the current time" },
];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_OPTIONS = 200;

/** Whether the cursor is inside `{{ … }}` (or `{% … %}`); the inner text before it. */
export function openExpression(before: string): { start: number; inner: string } | null {
  const open = Math.max(before.lastIndexOf("{{"), before.lastIndexOf("{%"));
  if (open < 0) return null;
  const tail = before.slice(open + 2);
  if (tail.includes("}}") || tail.includes("%}")) return null;
  return { start: open + 2, inner: tail };
}

/** Inside a string literal at the end of `text` (an odd number of unescaped quotes)? */
function inString(text: string): boolean {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
  }
  return quote !== null;
}

/** Parse `a.b['c'][0].d` into its parts; null if it is not a plain path. */
export function parsePath(path: string): (string | number)[] | null {
  const parts: (string | number)[] = [];
  const re = /^(?:\.?([A-Za-z_][A-Za-z0-9_]*)|\[(?:'([^']*)'|"([^"]*)"|(\d+))\])/;
  let rest = path;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) return null;
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(m[2]);
    else if (m[3] !== undefined) parts.push(m[3]);
    else parts.push(Number(m[4]));
    rest = rest.slice(m[0].length);
  }
  return parts;
}

function scopeRoot(scope: ExpressionScope): Record<string, unknown> {
  return {
    json: scope.json,
    item: scope.json,
    nodes: scope.nodes,
    trigger: scope.trigger,
    vars: scope.vars ?? {},
  };
}

/** The value at a path in the scope; undefined if absent. */
export function lookup(scope: ExpressionScope, parts: (string | number)[]): unknown {
  let value: unknown = scopeRoot(scope);
  for (const part of parts) {
    if (Array.isArray(value)) value = typeof part === "number" ? value[part] : undefined;
    else if (value && typeof value === "object") value = (value as Record<string, unknown>)[String(part)];
    else return undefined;
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `list (${value.length})`;
  if (typeof value === "object") return "object";
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function byPrefix<T>(entries: T[], prefix: string, name: (t: T) => string): T[] {
  const p = prefix.toLowerCase();
  const starts = entries.filter((e) => name(e).toLowerCase().startsWith(p));
  return starts.slice(0, MAX_OPTIONS);
}

function functionOption(f: ExprFunction): CompletionOption {
  const example = f.examples?.[0];
  const info = [f.description, example ? `${example.expression} → ${JSON.stringify(example.result)}` : ""]
    .filter(Boolean)
    .join("\n");
  return {
    label: f.name,
    apply: f.kind === "function" ? `${f.name}(` : f.name,
    type: f.kind === "filter" ? "filter" : f.kind === "function" ? "function" : "variable",
    detail: f.signature,
    info: info || undefined,
  };
}

/** Keys of the value at `base` (after a `.`), replacing from the dot for odd keys. */
function propertyOptions(value: unknown, partial: string, dot: number): CompletionResult | null {
  if (Array.isArray(value)) {
    // `list.` → suggest its first element's index.
    return value.length > 0 ? { from: dot, options: [{ label: "[0]", apply: "[0]", type: "property", detail: describe(value[0]) }] } : null;
  }
  if (!value || typeof value !== "object") return null;
  const entries = Object.entries(value as Record<string, unknown>);
  const options = byPrefix(entries, partial, ([k]) => k).map(([key, v]) =>
    IDENT.test(key)
      ? { label: key, apply: key, type: "property" as const, detail: describe(v) }
      : { label: key, apply: `['${key.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`, type: "property" as const, detail: describe(v) },
  );
  if (options.length === 0) return null;
  // Options for odd keys replace the dot too: `.['my key']` is not valid, `['my key']` is.
  const odd = options.some((o) => o.apply.startsWith("["));
  if (!odd) return { from: dot + 1, options };
  return {
    from: dot,
    options: options.map((o) => (o.apply.startsWith("[") ? o : { ...o, apply: `.${o.apply}` })),
  };
}

/**
 * The completions at the end of `before` (the field's text up to the cursor), or null when
 * there is nothing to complete (outside `{{ }}`, inside a string, an unknown path).
 */
export function completeExpression(
  before: string,
  scope: ExpressionScope,
  functions: ExprFunction[],
): CompletionResult | null {
  const open = openExpression(before);
  if (!open) return null;
  const inner = open.inner;
  const at = (n: number) => open.start + n;

  // nodes[' → node names (closing the subscript).
  const node = /nodes\[\s*(['"])([^'"]*)$/.exec(inner);
  if (node) {
    const quote = node[1]!;
    const names = byPrefix(Object.keys(scope.nodes), node[2]!, (n) => n);
    if (names.length === 0) return null;
    return {
      from: at(inner.length - node[2]!.length),
      options: names.map((n) => ({ label: n, apply: `${n}${quote}]`, type: "node", detail: "node" })),
    };
  }
  if (inString(inner)) return null;
  // nodes[ → nodes['Name'].
  const bracket = /nodes\[$/.exec(inner);
  if (bracket) {
    const names = Object.keys(scope.nodes).slice(0, MAX_OPTIONS);
    return names.length === 0
      ? null
      : { from: at(inner.length), options: names.map((n) => ({ label: n, apply: `'${n}']`, type: "node", detail: "node" })) };
  }
  // | filter
  const filter = /\|\s*([A-Za-z_][A-Za-z0-9_]*)?$/.exec(inner);
  if (filter) {
    const partial = filter[1] ?? "";
    const options = byPrefix(functions.filter((f) => f.kind === "filter"), partial, (f) => f.name).map(functionOption);
    return options.length === 0 ? null : { from: at(inner.length - partial.length), options };
  }
  // a.b['c'].partial → keys of a.b['c']
  const member = /((?:[A-Za-z_][A-Za-z0-9_]*)(?:\.[A-Za-z_][A-Za-z0-9_]*|\[(?:'[^']*'|"[^"]*"|\d+)\])*)\.([A-Za-z0-9_]*)$/.exec(inner);
  if (member) {
    const start = inner.length - member[0].length;
    if (start > 0 && /[\w.\]'"]/.test(inner[start - 1]!)) return null;
    const parts = parsePath(member[1]!);
    if (!parts) return null;
    const result = propertyOptions(lookup(scope, parts), member[2]!, inner.length - member[2]!.length - 1);
    return result ? { from: at(result.from), options: result.options } : null;
  }
  // A bare name: the scope's names and the library's functions and variables.
  const word = /(?:^|[^A-Za-z0-9_.\]'"])([A-Za-z_][A-Za-z0-9_]*)?$/.exec(inner);
  if (!word) return null;
  const partial = word[1] ?? "";
  const roots: CompletionOption[] = byPrefix(ROOT_NAMES, partial, (r) => r.name).map((r) => ({
    label: r.name,
    apply: r.name,
    type: "variable",
    info: r.info,
  }));
  const library = byPrefix(functions.filter((f) => f.kind !== "filter"), partial, (f) => f.name).map(functionOption);
  const options = [...roots, ...library].slice(0, MAX_OPTIONS);
  return options.length === 0 ? null : { from: at(inner.length - partial.length), options };
}
