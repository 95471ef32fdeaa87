import { describe, expect, it } from "vitest";

import type { StepOut } from "../types";
import { applyEvent, badges, expressionScope, runFromExecution, sampleInput, withRecordedNodes, withTestResult } from "./run";
import { sampleDoc } from "./testDocs";

const t0 = "2026-01-01T00:00:00Z";
function step(node_id: string, output: Record<string, unknown[]> | null, extra: Partial<StepOut> = {}): StepOut {
  return { node_id, run_index: 0, status: "success", attempt: 1, started_at: t0, finished_at: t0, error: null, output, items_out: Object.values(output ?? {}).reduce((n, v) => n + v.length, 0), truncated: false, ...extra };
}

describe("run state", () => {
  const doc = sampleDoc();
  const record = {
    id: "e1",
    status: "success",
    steps: [
      step("hook", { main: [{ body: { ok: true } }] }),
      step("check", { true: [{ ok: 1 }], false: [{ ok: 0 }] }),
      step("set", { main: [{ a: 1 }] }, { attempt: 1, status: "error", error: { message: "boom" } }),
      step("set", { main: [{ a: 2 }] }, { attempt: 2 }),
      step("noop", { main: [{ n: 1 }] }, { run_index: 0 }),
      step("noop", { main: [{ n: 2 }] }, { run_index: 1 }),
    ],
  };

  it("folds steps per node: last attempt, loop runs added up, inputs from upstream ports", () => {
    const run = runFromExecution(record, doc.connections);
    expect(run.done).toBe(true);
    expect(run.nodes.get("set")).toMatchObject({ status: "success", items_out: 1, output: { main: [{ a: 2 }] }, input: { main: [{ ok: 1 }] } });
    expect(run.nodes.get("noop")).toMatchObject({ items_out: 2, output: { main: [{ n: 1 }, { n: 2 }] }, input: { main: [{ ok: 0 }] } });
    expect(run.nodes.get("hook")!.input).toBeUndefined();
    expect(badges(run).get("check")).toEqual({ status: "success", items: 2, ms: 0 });
  });

  it("follows live events: running, finished with items, loop runs adding up, the end", () => {
    let run = runFromExecution({ id: "e2", status: "running", steps: [] }, doc.connections);
    expect(run.done).toBe(false);
    run = applyEvent(run, { event: "step.started", node_id: "hook", attempt: 1, t: 1 });
    expect(badges(run).get("hook")).toMatchObject({ status: "running", items: undefined });
    run = applyEvent(run, { event: "step.finished", node_id: "hook", attempt: 1, status: "success", items: 3, t: 2 });
    expect(badges(run).get("hook")).toEqual({ status: "success", items: 3, ms: 1000 });
    run = applyEvent(run, { event: "step.started", node_id: "hook", attempt: 1 });
    run = applyEvent(run, { event: "step.finished", node_id: "hook", attempt: 1, status: "success", items: 2 });
    expect(badges(run).get("hook")!.items).toBe(5);
    run = applyEvent(run, { event: "step.started", node_id: "set", attempt: 1 });
    run = applyEvent(run, { event: "step.finished", node_id: "set", attempt: 1, status: "error", items: 0, error: { message: "x" } });
    run = applyEvent(run, { event: "step.started", node_id: "set", attempt: 2 });
    run = applyEvent(run, { event: "step.finished", node_id: "set", attempt: 2, status: "success", items: 1 });
    expect(badges(run).get("set")).toMatchObject({ status: "success", items: 1 });
    run = applyEvent(run, { event: "execution.finished", status: "success" });
    expect(run).toMatchObject({ status: "success", done: true });
  });

  it("marks a node streaming on its first delta, until its step finishes or starts again", () => {
    let run = runFromExecution({ id: "e3", status: "running", steps: [] }, doc.connections);
    // The editor followed the run after the step started: its first delta says it runs.
    const joined = applyEvent(run, { event: "step.delta", node_id: "check", text: "x", t: 0.5 });
    expect(badges(joined).get("check")).toMatchObject({ status: "running", streaming: true });
    run = applyEvent(run, { event: "step.started", node_id: "set", attempt: 1, t: 1 });
    run = applyEvent(run, { event: "step.delta", node_id: "set", text: "Hel" });
    expect(badges(run).get("set")).toMatchObject({ status: "running", streaming: true });
    // Later pieces leave the run state alone: nothing on the canvas re-renders per token.
    expect(applyEvent(run, { event: "step.delta", node_id: "set", text: "lo" })).toBe(run);
    run = applyEvent(run, { event: "step.finished", node_id: "set", attempt: 1, status: "error", items: 0, t: 2 });
    expect(badges(run).get("set")!.streaming).toBeUndefined();
    run = applyEvent(run, { event: "step.started", node_id: "set", attempt: 2, t: 3 });
    run = applyEvent(run, { event: "step.delta", node_id: "set", text: "again" });
    expect(badges(run).get("set")).toMatchObject({ status: "running", streaming: true });
    run = applyEvent(run, { event: "step.started", node_id: "set", attempt: 3, t: 4 });
    expect(badges(run).get("set")).toMatchObject({ status: "running" });
    expect(badges(run).get("set")!.streaming).toBeUndefined();
  });

  it("builds a node's sample input and expression scope from pinned data and the last run", () => {
    const run = runFromExecution(record, doc.connections);
    // hook is pinned: its pinned items win over the run's output.
    expect(sampleInput(doc, run, "check")).toEqual([{ body: { title: "Crash" } }]);
    expect(sampleInput(doc, run, "merge")).toEqual([{ a: 2 }, { n: 1 }, { n: 2 }]);
    expect(sampleInput(doc, null, "set")).toEqual([{}]);
    const scope = expressionScope(doc, run, "set", new Set(["core.webhook"]));
    expect(scope.json).toEqual({ ok: 1 });
    expect(scope.trigger).toEqual({ body: { title: "Crash" } });
    expect(scope.nodes.Check).toEqual({ json: { ok: 1 } });
    expect(scope.nodes.Nothing).toEqual({ json: { n: 1 } });
  });

  it("merges a node test's result into the last run", () => {
    const run = runFromExecution(record, doc.connections);
    const next = withTestResult(run, { id: "t1", status: "success", steps: [step("set", { main: [{ a: 9 }] })] }, "set", [{ in: 1 }], doc.connections);
    expect(next.nodes.get("set")).toMatchObject({ output: { main: [{ a: 9 }] }, input: { main: [{ in: 1 }] } });
    expect(next.nodes.get("check")).toEqual(run.nodes.get("check"));
    expect(next.executionId).toBe("e1");
  });
});

describe("a live run with some nodes' recorded data", () => {
  const live = () => {
    let run = runFromExecution({ id: "e7", status: "running", steps: [] }, []);
    run = applyEvent(run, { event: "step.started", node_id: "ask", attempt: 1, t: 1 });
    run = applyEvent(run, { event: "step.delta", node_id: "ask", text: "Once", t: 1.1 });
    run = applyEvent(run, { event: "step.finished", node_id: "ask", attempt: 1, status: "success", items: 1, t: 2 });
    run = applyEvent(run, { event: "step.started", node_id: "loop", attempt: 1, t: 2 });
    run = applyEvent(run, { event: "step.finished", node_id: "tell", attempt: 1, status: "success", items: 2, t: 2 });
    return run;
  };

  it("takes a finished node's data from the record when the record has its step", () => {
    const before = live();
    const record = {
      id: "e7",
      status: "running",
      steps: [step("ask", { main: [{ text: "Once upon a time" }] }), step("loop", { main: [{ n: 1 }] }), step("tell", { main: [{ a: 1 }] }), step("other", { main: [{ b: 1 }] })],
    };
    const { state, applied, missing } = withRecordedNodes(before, record, ["ask", "loop", "tell", "gone"]);
    expect(applied).toEqual(["ask"]);
    // tell emitted 2 items, the record has 1 of them: not written yet.
    expect(missing).toEqual(["tell"]);
    expect(state.nodes.get("ask")).toMatchObject({ status: "success", items_out: 1, output: { main: [{ text: "Once upon a time" }] } });
    expect(state.nodes.get("ask")?.streaming).toBeUndefined();
    // A node running again, one not asked for, one the events never named: as they were.
    expect(state.nodes.get("loop")).toBe(before.nodes.get("loop"));
    expect(state.nodes.get("tell")).toBe(before.nodes.get("tell"));
    expect(state.nodes.has("other")).toBe(false);
    expect(state.done).toBe(false);
    expect(state.executionId).toBe("e7");
  });

  it("leaves the state as it is when the record has none of them yet", () => {
    const before = live();
    const { state, applied, missing } = withRecordedNodes(before, { id: "e7", status: "running", steps: [] }, ["ask"]);
    expect(state).toBe(before);
    expect(applied).toEqual([]);
    expect(missing).toEqual(["ask"]);
    // A failed attempt recorded, the live state at a later success: not that step yet.
    const failed = withRecordedNodes(before, { id: "e7", status: "running", steps: [step("ask", null, { status: "error", items_out: 0 })] }, ["ask"]);
    expect(failed.missing).toEqual(["ask"]);
  });
});
