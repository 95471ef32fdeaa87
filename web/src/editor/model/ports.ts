/**
 * The input and output ports of a node as the canvas draws them: the type's ports, or the
 * ones its params name (core.switch's rule outputs and fallback, ai.classify's labels and
 * fallback, core.merge's `inputs` count), the `error` output of a node with `on_error: error_output`, and any port a
 * connection still uses that the params no longer name (drawn as stale, so the edge shows
 * until it is removed).
 */
import type { DocConnection, DocNode, NodeTypeMeta } from "../types";
import { fromPort, MAIN, toPort } from "./document";

export interface Port {
  name: string;
  /** A connection uses it but the node's type/params no longer have it. */
  stale?: boolean;
}

const NUMBERED = /^([A-Za-z_]+)(\d+)$/;
const COUNT_PARAM = "inputs";

function uniq(names: Iterable<string>): string[] {
  return [...new Set(names)];
}

/** Input ports from the type (a growable one, like core.merge's in1…inN, from its params). */
export function typeInputs(node: DocNode, type: NodeTypeMeta | undefined): string[] {
  if (!type) return [MAIN];
  const numbered = type.inputs.map((p) => NUMBERED.exec(p));
  const countSchema = type.params_schema.properties?.[COUNT_PARAM];
  if (type.inputs.length > 0 && countSchema && numbered.every((m) => m && m[1] === numbered[0]![1])) {
    const raw = node.params?.[COUNT_PARAM] ?? countSchema.default ?? type.inputs.length;
    const count = typeof raw === "number" && Number.isInteger(raw) && raw >= 1 ? Math.min(raw, 100) : type.inputs.length;
    const prefix = numbered[0]![1];
    return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  }
  return [...type.inputs];
}

/** Output ports from the type, or from the params when the type leaves them to the params. */
export function typeOutputs(node: DocNode, type: NodeTypeMeta | undefined): string[] {
  let names: string[];
  if (!type) names = [MAIN];
  else if (type.outputs) names = [...type.outputs];
  else names = paramOutputs(node.params ?? {});
  if (node.on_error === "error_output" && !names.includes("error")) names.push("error");
  return uniq(names);
}

/** Outputs a node's params name, in the server's order: each rule's `output` (core.switch) or
 * each label's `label` (ai.classify), then `fallback`. */
export function paramOutputs(params: Record<string, unknown>): string[] {
  const out: string[] = [];
  const named = (list: unknown, key: string) => {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      const name = entry && typeof entry === "object" ? (entry as Record<string, unknown>)[key] : undefined;
      if (typeof name === "string" && name.trim()) out.push(name.trim());
    }
  };
  named(params.rules, "output");
  named(params.labels, "label");
  if (typeof params.fallback === "string" && params.fallback.trim()) out.push(params.fallback.trim());
  return uniq(out);
}

/** Ports with the ones connections use but the node no longer has marked stale. */
function withUsed(names: string[], used: Iterable<string>): Port[] {
  const ports: Port[] = names.map((name) => ({ name }));
  const known = new Set(names);
  for (const name of used) {
    if (!known.has(name)) {
      known.add(name);
      ports.push({ name, stale: true });
    }
  }
  return ports;
}

export interface NodePorts {
  inputs: Port[];
  outputs: Port[];
}

/** Every node's ports (by id), from its type, params and the connections. */
export function nodePorts(
  nodes: readonly DocNode[],
  connections: readonly DocConnection[],
  types: ReadonlyMap<string, NodeTypeMeta>,
): Map<string, NodePorts> {
  const usedIn = new Map<string, string[]>();
  const usedOut = new Map<string, string[]>();
  for (const c of connections) {
    (usedOut.get(c.from) ?? usedOut.set(c.from, []).get(c.from)!).push(fromPort(c));
    (usedIn.get(c.to) ?? usedIn.set(c.to, []).get(c.to)!).push(toPort(c));
  }
  const out = new Map<string, NodePorts>();
  for (const node of nodes) {
    const type = types.get(node.type);
    out.set(node.id, {
      inputs: withUsed(typeInputs(node, type), usedIn.get(node.id) ?? []),
      outputs: withUsed(typeOutputs(node, type), usedOut.get(node.id) ?? []),
    });
  }
  return out;
}

/** For a connection made onto a node's body (no handle): its first free input, else main. */
export function firstInput(ports: NodePorts | undefined, connections: readonly DocConnection[], nodeId: string): string {
  const inputs = ports?.inputs.filter((p) => !p.stale).map((p) => p.name) ?? [MAIN];
  const used = new Set(connections.filter((c) => c.to === nodeId).map(toPort));
  return inputs.find((p) => !used.has(p)) ?? inputs[0] ?? MAIN;
}
