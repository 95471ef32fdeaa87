/**
 * What the editor knows of a run, per node: built from an execution record (the replay, the
 * end of a live run), updated by the live events (`step.started`, `step.finished`, …), and
 * turned into what the panel needs: a node's input (what its upstream nodes emitted on the
 * connected ports), the expression scope and the sample input of a test.
 */
import type { DocConnection, ExpressionScope, Item, NodeRunData, StepOut } from "../types";
import { fromPort, nodeName, toPort, type WorkflowDoc } from "./document";
import type { RunBadge } from "./graph";

export interface ExecutionLike {
  id: string;
  status: string;
  steps: StepOut[];
  error?: Record<string, unknown> | null;
  started_at?: string;
  finished_at?: string | null;
}

export interface RunState {
  executionId: string;
  status: string;
  /** Per node id. */
  nodes: Map<string, NodeRunData>;
  error?: Record<string, unknown> | null;
  /** The run has ended (success, error, canceled) or waits. */
  done: boolean;
  /** Live runs: items a node emitted in earlier runs (a loop's batches), by node id. */
  carry?: Map<string, number>;
}

const LIVE = new Set(["queued", "running"]);

/** Steps of one node folded into its run data: the last attempt of each run; several runs
 * (a loop's batches) add up their items. */
function fold(steps: StepOut[]): NodeRunData {
  const lastOfRun = new Map<number, StepOut>();
  for (const s of steps) {
    const previous = lastOfRun.get(s.run_index ?? 0);
    if (!previous || s.attempt >= previous.attempt) lastOfRun.set(s.run_index ?? 0, s);
  }
  const runs = [...lastOfRun.entries()].sort(([a], [b]) => a - b).map(([, s]) => s);
  const last = runs[runs.length - 1]!;
  const output: Record<string, Item[]> = {};
  let hasOutput = false;
  for (const s of runs) {
    for (const [port, items] of Object.entries(s.output ?? {})) {
      hasOutput = true;
      output[port] = [...(output[port] ?? []), ...(items as Item[])];
    }
  }
  return {
    status: last.status,
    started_at: runs[0]!.started_at,
    finished_at: last.finished_at ?? null,
    items_out: runs.reduce((sum, s) => sum + (s.items_out ?? 0), 0),
    output: hasOutput ? output : undefined,
    error: [...runs].reverse().find((s) => s.error)?.error ?? null,
    truncated: runs.some((s) => s.truncated),
  };
}

/** Inputs of each node: the items its upstream nodes emitted on the connected ports. */
export function withInputs(nodes: Map<string, NodeRunData>, connections: readonly DocConnection[]): Map<string, NodeRunData> {
  const inputs = new Map<string, Record<string, Item[]>>();
  for (const c of connections) {
    const items = nodes.get(c.from)?.output?.[fromPort(c)];
    if (!items || !nodes.has(c.to)) continue;
    const ports = inputs.get(c.to) ?? {};
    ports[toPort(c)] = [...(ports[toPort(c)] ?? []), ...items];
    inputs.set(c.to, ports);
  }
  const out = new Map<string, NodeRunData>();
  for (const [id, data] of nodes) {
    const input = inputs.get(id);
    const truncated = data.truncated || connections.some((c) => c.to === id && nodes.get(c.from)?.truncated);
    out.set(id, input ? { ...data, input, truncated } : data);
  }
  return out;
}

/** The run state of an execution record. */
export function runFromExecution(e: ExecutionLike, connections: readonly DocConnection[]): RunState {
  const byNode = new Map<string, StepOut[]>();
  for (const s of e.steps) (byNode.get(s.node_id) ?? byNode.set(s.node_id, []).get(s.node_id)!).push(s);
  const nodes = new Map<string, NodeRunData>();
  for (const [id, steps] of byNode) nodes.set(id, fold(steps));
  return { executionId: e.id, status: e.status, nodes: withInputs(nodes, connections), error: e.error ?? null, done: !LIVE.has(e.status) };
}

/** A live event (`GET /api/executions/{id}/events`). */
export interface RunEvent {
  event: string;
  node_id?: string;
  attempt?: number;
  status?: string;
  items?: number;
  error?: Record<string, unknown> | null;
  /** `step.delta`: a piece of the text the step streams. */
  text?: string;
  t?: number;
}

/** The run state after one live event (`snapshot` is handled by `runFromExecution`). */
export function applyEvent(state: RunState, e: RunEvent): RunState {
  const at = e.t ? new Date(e.t * 1000).toISOString() : undefined;
  if (e.event === "step.started" && e.node_id) {
    const nodes = new Map(state.nodes);
    const carry = new Map(state.carry ?? []);
    const previous = nodes.get(e.node_id);
    // A loop runs its body again (attempt 1 after a success): the items add up; a retry
    // (attempt > 1) replaces the failed attempt's.
    if ((e.attempt ?? 1) === 1) carry.set(e.node_id, previous?.status === "success" ? (previous.items_out ?? 0) : 0);
    nodes.set(e.node_id, { ...previous, status: "running", started_at: previous?.started_at ?? at ?? null, finished_at: null, streaming: false });
    return { ...state, nodes, carry };
  }
  if (e.event === "step.delta" && e.node_id) {
    // The first piece of text marks the node as streaming; the text itself is kept apart
    // (model/live.ts), so later pieces leave the run state as it is. A node streams only
    // while its step runs: its step.started may have come before the editor followed the
    // run (and a running step is not in the snapshot yet).
    const previous = state.nodes.get(e.node_id);
    if (previous?.status === "running" && previous.streaming) return state;
    const nodes = new Map(state.nodes);
    nodes.set(e.node_id, { ...previous, status: "running", started_at: previous?.started_at ?? at ?? null, finished_at: null, streaming: true });
    return { ...state, nodes };
  }
  if (e.event === "step.finished" && e.node_id) {
    const nodes = new Map(state.nodes);
    const previous = nodes.get(e.node_id);
    nodes.set(e.node_id, {
      ...previous,
      status: (e.status ?? "success") as NodeRunData["status"],
      finished_at: at ?? null,
      items_out: (state.carry?.get(e.node_id) ?? 0) + (e.items ?? 0),
      error: e.error ?? null,
      streaming: false,
    });
    return { ...state, nodes };
  }
  if (e.event === "execution.started") return { ...state, status: "running" };
  if (e.event === "execution.waiting") return { ...state, status: "waiting", done: true };
  if (e.event === "execution.finished") return { ...state, status: e.status ?? state.status, error: e.error ?? null, done: true };
  return state;
}

/** What `withRecordedNodes` did with each node asked for. */
export interface RecordedNodes {
  state: RunState;
  /** Their recorded data replaced the live one (their live text can go). */
  applied: string[];
  /** The record does not have the step the live state ended yet (the server writes behind):
   * ask again. */
  missing: string[];
}

/**
 * A live run with the recorded data (output, items, times, error) of `nodeIds` taken from an
 * execution record read while it still runs: for each node whose step has finished as far as
 * the live events say, and whose record agrees (same status and item count: the record has
 * that step). Other nodes stay as the events made them; a node running again (a loop's next
 * run, a retry) is left alone; a node's input stays what it was.
 */
export function withRecordedNodes(state: RunState, record: ExecutionLike, nodeIds: Iterable<string>): RecordedNodes {
  const recorded = runFromExecution(record, []).nodes;
  const nodes = new Map(state.nodes);
  const applied: string[] = [];
  const missing: string[] = [];
  for (const id of nodeIds) {
    const live = state.nodes.get(id);
    if (!live || live.status === "running" || live.status === "pending") continue;
    const data = recorded.get(id);
    if (!data || data.status !== live.status || (data.items_out ?? 0) !== (live.items_out ?? 0)) {
      missing.push(id);
      continue;
    }
    nodes.set(id, live.input ? { ...data, input: live.input } : data);
    applied.push(id);
  }
  return { state: applied.length ? { ...state, nodes } : state, applied, missing };
}

/** What each node shows on the canvas. */
export function badges(state: RunState | null): Map<string, RunBadge> {
  const out = new Map<string, RunBadge>();
  for (const [id, d] of state?.nodes ?? []) {
    const ms = d.started_at && d.finished_at ? Date.parse(d.finished_at) - Date.parse(d.started_at) : undefined;
    const badge: RunBadge = { status: d.status, items: d.items_out, ms: ms !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : undefined };
    if (d.streaming && d.status === "running") badge.streaming = true;
    out.set(id, badge);
  }
  return out;
}

const first = (items: Item[] | undefined) => (items && items.length ? items[0] : undefined);
const mainOf = (ports: Record<string, Item[]> | undefined) => (ports ? (ports.main ?? Object.values(ports)[0]) : undefined);

/** The items a node emitted as far as the editor knows: pinned, else the last run's. */
export function knownOutput(doc: WorkflowDoc, run: RunState | null, nodeId: string): Record<string, Item[]> | undefined {
  const pinned = doc.pinned_data?.[nodeId];
  if (pinned) return { main: pinned };
  return run?.nodes.get(nodeId)?.output;
}

/** The items a test of `nodeId` starts from: what its upstream nodes emitted into it. */
export function sampleInput(doc: WorkflowDoc, run: RunState | null, nodeId: string): Item[] {
  const items: Item[] = [];
  for (const c of doc.connections) {
    if (c.to !== nodeId) continue;
    items.push(...(knownOutput(doc, run, c.from)?.[fromPort(c)] ?? []));
  }
  return items.length ? items.slice(0, 100) : [{}];
}

/** The expression scope of a node: its first input item, every node's first output item by
 * name, the trigger's first item. */
export function expressionScope(doc: WorkflowDoc, run: RunState | null, nodeId: string | null, triggerIds: ReadonlySet<string>): ExpressionScope {
  const nodes: ExpressionScope["nodes"] = {};
  let trigger: unknown;
  for (const n of doc.nodes) {
    const out = first(mainOf(knownOutput(doc, run, n.id)));
    if (out !== undefined) {
      nodes[nodeName(n)] = { json: out };
      if (trigger === undefined && triggerIds.has(n.type)) trigger = out;
    }
  }
  const scope: ExpressionScope = { nodes, vars: {} };
  if (trigger !== undefined) scope.trigger = trigger;
  if (nodeId) {
    const input = sampleInput(doc, run, nodeId)[0];
    if (input !== undefined) scope.json = input;
  }
  return scope;
}

/** A node test's execution merged into the run state: that node's data replaced. */
export function withTestResult(state: RunState | null, e: ExecutionLike, nodeId: string, input: Item[], connections: readonly DocConnection[]): RunState {
  const tested = runFromExecution(e, []).nodes.get(nodeId);
  const nodes = new Map(state?.nodes ?? []);
  if (tested) nodes.set(nodeId, { ...tested, input: { main: input } });
  const next = withInputs(nodes, connections.filter((c) => c.to !== nodeId));
  return { executionId: state?.executionId ?? e.id, status: state?.status ?? e.status, nodes: next, error: state?.error ?? null, done: true };
}
