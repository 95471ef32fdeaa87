/**
 * Renaming a node: expressions name nodes by display name (`nodes['Name'].json`), so a
 * rename rewrites every reference to the old name in every node's params.
 *
 * The rules mirror the server's (`engine/expressions.py`, `_tree_references` and
 * `compile_value`): params are walked through objects and lists (keys are never
 * evaluated); a string is a template when it holds `{{` or `{%`; inside its `{{ … }}` and
 * `{% … %}` (not `{# comments #}`, not `{% raw %}` blocks, not string literals), a
 * reference is the top-level name `nodes` followed by `['Name']`, `["Name"]` or `.Name`.
 * `x.nodes.Name` and `nodes[json.which]` are not references. Connections and pinned data
 * name nodes by id, which a rename keeps.
 */
import type { DocNode } from "../types";
import { nodeName, replaceNode, type WorkflowDoc } from "./document";

type Token =
  | { kind: "name"; text: string; start: number; end: number }
  | { kind: "string"; value: string; quote: string; start: number; end: number }
  | { kind: "op"; text: string; start: number; end: number };

const NAME = /[\p{ID_Start}_][\p{ID_Continue}]*/uy;
const STRING = /'([^'\\]*(?:\\[\s\S][^'\\]*)*)'|"([^"\\]*(?:\\[\s\S][^"\\]*)*)"/y;
const NUMBER = /\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?/y;
const SPACE = /\s+/y;
const RAW_START = /\{%[-+]?\s*raw\s*[-+]?%\}/y;
const RAW_END = /\{%[-+]?\s*endraw\s*[-+]?%\}/g;
const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}]*$/u;

function sticky(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

const SIMPLE_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };

/** A Jinja string literal's value (Python escapes; an unknown escape keeps its backslash). */
export function decodeLiteral(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|\n|[\s\S])/g, (all, esc: string) => {
    if (esc === "\n") return "";
    if (esc.length > 1) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    return SIMPLE_ESCAPES[esc] ?? all;
  });
}

/** A Jinja string literal for `value` in the given quote. */
export function encodeLiteral(value: string, quote: string): string {
  const body = value.replace(/[\\\n\r\t]/g, (c) => ({ "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c]!).split(quote).join(`\\${quote}`);
  return `${quote}${body}${quote}`;
}

/** The tokens of one `{{ … }}` / `{% … %}` from `at` (just after the opener) to its end. */
function tokenize(text: string, at: number, close: "}}" | "%}"): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  let i = at;
  while (i < text.length) {
    const space = sticky(SPACE, text, i);
    if (space) {
      i += space[0].length;
      continue;
    }
    if (text.startsWith(close, i)) return { tokens, end: i + 2 };
    if ((text[i] === "-" || text[i] === "+") && text.startsWith(close, i + 1)) return { tokens, end: i + 3 };
    const str = sticky(STRING, text, i);
    if (str) {
      const quote = str[0][0]!;
      tokens.push({ kind: "string", value: decodeLiteral(str[0].slice(1, -1)), quote, start: i, end: i + str[0].length });
      i += str[0].length;
      continue;
    }
    const num = sticky(NUMBER, text, i);
    if (num) {
      tokens.push({ kind: "op", text: num[0], start: i, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const name = sticky(NAME, text, i);
    if (name) {
      tokens.push({ kind: "name", text: name[0], start: i, end: i + name[0].length });
      i += name[0].length;
      continue;
    }
    tokens.push({ kind: "op", text: text[i]!, start: i, end: i + 1 });
    i += 1;
  }
  return { tokens, end: text.length };
}

/** A reference found in a template: where its name is written and how. */
interface Reference {
  name: string;
  start: number;
  end: number;
  form: "item" | "attribute";
  quote?: string;
}

function referencesIn(tokens: Token[]): Reference[] {
  const found: Reference[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== "name" || t.text !== "nodes") continue;
    const before = tokens[k - 1];
    if (before && before.kind === "op" && before.text === ".") continue; // x.nodes: an attribute
    const a = tokens[k + 1];
    const b = tokens[k + 2];
    const c = tokens[k + 3];
    if (a?.kind === "op" && a.text === "[" && b?.kind === "string" && c?.kind === "op" && c.text === "]") {
      found.push({ name: b.value, start: b.start, end: b.end, form: "item", quote: b.quote });
    } else if (a?.kind === "op" && a.text === "." && b?.kind === "name") {
      found.push({ name: b.text, start: b.start, end: b.end, form: "attribute" });
    }
  }
  return found;
}

/** Every node reference of a string, in order (none when it is not a template). */
export function findReferences(text: string): Reference[] {
  if (!text.includes("{{") && !text.includes("{%")) return [];
  const found: Reference[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{", i);
    if (open < 0 || open + 1 >= text.length) break;
    const kind = text[open + 1];
    if (kind === "#") {
      const end = text.indexOf("#}", open + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (kind === "%" && sticky(RAW_START, text, open)) {
      RAW_END.lastIndex = open;
      const end = RAW_END.exec(text);
      i = end ? end.index + end[0].length : text.length;
    } else if (kind === "{" || kind === "%") {
      const { tokens, end } = tokenize(text, open + 2, kind === "{" ? "}}" : "%}");
      found.push(...referencesIn(tokens));
      i = end;
    } else {
      i = open + 1;
    }
  }
  return found;
}

/** `text` with its references to the names in `renames` (old → new) naming the new ones,
 * all at once (A→B and B→C never chain); the same string when none is found. */
export function renameAllInText(text: string, renames: ReadonlyMap<string, string>): string {
  if (renames.size === 0) return text;
  const refs = findReferences(text).filter((r) => renames.has(r.name));
  if (refs.length === 0) return text;
  let out = "";
  let last = 0;
  for (const r of refs) {
    const to = renames.get(r.name)!;
    if (r.form === "item") {
      out += text.slice(last, r.start) + encodeLiteral(to, r.quote!);
    } else if (IDENTIFIER.test(to)) {
      out += text.slice(last, r.start) + to;
    } else {
      // nodes.Old → nodes['New name']: the dot goes too.
      out += text.slice(last, text.lastIndexOf(".", r.start)) + `[${encodeLiteral(to, "'")}]`;
    }
    last = r.end;
  }
  return out + text.slice(last);
}

/** `text` with its references to node `from` naming `to` instead. */
export const renameInText = (text: string, from: string, to: string): string => renameAllInText(text, new Map([[from, to]]));

/** A params value with its references renamed (old → new); unchanged parts (and the whole
 * value when nothing changed) keep their objects. Keys are never rewritten. */
export function renameAllInValue<T>(value: T, renames: ReadonlyMap<string, string>): T {
  if (renames.size === 0) return value;
  if (typeof value === "string") return renameAllInText(value, renames) as T;
  if (Array.isArray(value)) {
    let changed = false;
    const next = value.map((v) => {
      const r = renameAllInValue(v, renames);
      if (r !== v) changed = true;
      return r;
    });
    return (changed ? next : value) as T;
  }
  if (value && typeof value === "object") {
    let changed = false;
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = renameAllInValue(v, renames);
      if (r !== v) changed = true;
      next[k] = r;
    }
    return (changed ? next : value) as T;
  }
  return value;
}

export const renameInValue = <T>(value: T, from: string, to: string): T => renameAllInValue(value, new Map([[from, to]]));

/** Why a node cannot take this name, given the other nodes' names (undefined: it can).
 * Names are unique exactly as the server compares them; the caller trims spaces. */
export function nameProblem(name: string, otherNames: ReadonlySet<string>): string | undefined {
  if (name.trim() === "") return "The name cannot be empty.";
  if (name.length > 200) return "The name can be at most 200 characters.";
  if (otherNames.has(name)) return `Another node is already called “${name}”. Names are unique in a workflow (expressions use them).`;
  return undefined;
}

/** The names of the nodes other than `nodeId`. */
export const otherNames = (doc: WorkflowDoc, nodeId: string): Set<string> => new Set(doc.nodes.filter((n) => n.id !== nodeId).map(nodeName));

/** The document with node `nodeId` renamed and every reference to its old name rewritten
 * (the same document when the name is unchanged or not allowed). */
export function renameNode(doc: WorkflowDoc, nodeId: string, name: string): WorkflowDoc {
  const node = doc.nodes.find((n) => n.id === nodeId);
  if (!node) return doc;
  const from = nodeName(node);
  if (from === name || nameProblem(name, otherNames(doc, nodeId))) return doc;
  return renameWithReferences(doc, { ...node, name }, from);
}

/** Replace a node whose name may have changed: when it did (and the new name is allowed),
 * every reference to the old name follows; a name that is not allowed is not written. */
export function replaceNodeRenaming(doc: WorkflowDoc, next: DocNode): WorkflowDoc {
  const old = doc.nodes.find((n) => n.id === next.id);
  if (!old) return doc;
  const from = nodeName(old);
  const to = nodeName(next);
  if (from === to) return replaceNode(doc, next);
  // A name that is not allowed is not written (the rest of the change is).
  if (nameProblem(to, otherNames(doc, next.id))) {
    const { name: _refused, ...rest } = next;
    return replaceNode(doc, old.name === undefined ? rest : { ...rest, name: old.name });
  }
  return renameWithReferences(doc, next, from);
}

function renameWithReferences(doc: WorkflowDoc, renamed: DocNode, from: string): WorkflowDoc {
  const to = nodeName(renamed);
  let changed = false;
  const nodes = doc.nodes.map((n) => {
    const base = n.id === renamed.id ? renamed : n;
    const params = renameInValue(base.params, from, to);
    if (params === base.params) {
      if (base !== n) changed = true;
      return base;
    }
    changed = true;
    return { ...base, params };
  });
  return changed ? { ...doc, nodes } : doc;
}
