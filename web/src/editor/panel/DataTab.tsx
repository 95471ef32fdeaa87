/** The node's data: its last run's error, input and output items, pinned output (edit, unpin)
 * and a single-node test run on editable input items. */
import { Pin, PinOff, Play } from "lucide-react";
import { useEffect, useId, useMemo, useRef, useState } from "react";

import { ExplainError } from "../../ai/assistant/ExplainError";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ItemsView } from "../../components/data/ItemsView";
import { Button } from "../../components/ui";
import type { LiveSource } from "../liveStore";
import type { Item, NodeRunData } from "../types";
import { checkItems, JsonInput } from "./JsonInput";
import { LiveOutput } from "./LiveOutput";

export interface DataTabProps {
  nodeName: string;
  runData: NodeRunData | undefined;
  executionId?: string | undefined;
  nodeId?: string | undefined;
  pinned: Item[] | undefined;
  onPin: (items: Item[] | null) => void;
  onTest: (items: Item[]) => Promise<void>;
  sampleInput: Item[];
  workflowId: number | null;
  readOnly: boolean;
  hasInputs: boolean;
  /** The text nodes stream during a live run (shown above the output while it comes). */
  live?: LiveSource | undefined;
}

/** The items to pin: the main output, else the first port's. */
export function outputToPin(output: Record<string, Item[]> | undefined): Item[] | null {
  if (!output) return null;
  if (output.main) return output.main;
  const first = Object.values(output)[0];
  return first ?? null;
}

function errorLine(error: Record<string, unknown>): string {
  const message = typeof error.message === "string" ? error.message : JSON.stringify(error);
  return typeof error.type === "string" ? `${error.type}: ${message}` : message;
}

export function DataTab(props: DataTabProps) {
  const { nodeName, runData, pinned, readOnly } = props;
  const output = runData?.output;
  const toPin = outputToPin(output);
  return (
    <div className="space-y-5">
      {runData?.error && (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200">
          <p className="font-semibold">This node failed: {errorLine(runData.error)}</p>
          {props.executionId && props.nodeId && <ExplainError executionId={props.executionId} nodeId={props.nodeId} />}
        </div>
      )}
      {runData && (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          Last run: <span className="font-medium">{runData.status}</span>
          {runData.items_out !== undefined ? ` · ${runData.items_out} ${runData.items_out === 1 ? "item" : "items"} out` : ""}
        </p>
      )}
      {!readOnly && <TestSection {...props} />}
      {props.hasInputs && (
        <ItemsView
          label={`Input of ${nodeName}`}
          title="Input"
          ports={runData?.input ?? null}
          truncated={runData?.truncated ?? false}
          truncatedNote="Truncated: only the first items are shown."
          empty="No input yet: run the workflow or test the node."
        />
      )}
      {pinned ? (
        <PinnedSection items={pinned} nodeName={nodeName} onPin={props.onPin} readOnly={readOnly} />
      ) : (
        <div className="space-y-2">
          {props.nodeId && <LiveOutput source={props.live} nodeId={props.nodeId} nodeName={nodeName} running={runData?.status === "running"} />}
          <ItemsView
            label={`Output of ${nodeName}`}
            title="Output"
            ports={output ?? null}
            truncated={runData?.truncated ?? false}
            truncatedNote={`Truncated: only the first items are shown${runData?.items_out !== undefined ? ` (${runData.items_out} in all)` : ""}.`}
            empty={runData?.status === "running" ? "No output yet: the node is running." : "No output yet: run the workflow or test the node."}
          />
          {!readOnly && toPin && (
            <Button onClick={() => props.onPin(toPin)} disabled={runData?.truncated} title={runData?.truncated ? "Only the first items are known: not all of them could be pinned" : undefined}>
              <Pin aria-hidden className="size-4" />
              Pin output
            </Button>
          )}
        </div>
      )}
    </div>
  );
}

function PinnedSection({ items, nodeName, onPin, readOnly }: { items: Item[]; nodeName: string; onPin: (items: Item[] | null) => void; readOnly: boolean }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<Item[] | null>(null);
  const labelId = useId();
  return (
    <section aria-label="Pinned output" className="space-y-2 rounded-md border border-indigo-300 p-3 dark:border-indigo-800">
      <div className="flex flex-wrap items-center gap-2">
        <h3 className="text-sm font-semibold">
          Pinned output <span className="font-normal text-zinc-500 dark:text-zinc-400">({items.length} {items.length === 1 ? "item" : "items"})</span>
        </h3>
        <p className="text-xs text-zinc-500 dark:text-zinc-400">Runs from the editor use these items instead of running the node.</p>
        {!readOnly && (
          <span className="ml-auto flex gap-1">
            <Button aria-pressed={editing} onClick={() => setEditing((e) => !e)}>
              {editing ? "Stop editing" : "Edit"}
            </Button>
            <Button onClick={() => onPin(null)}>
              <PinOff aria-hidden className="size-4" />
              Unpin
            </Button>
          </span>
        )}
      </div>
      {editing ? (
        <div className="space-y-2">
          <span id={labelId} className="text-sm font-medium">
            Pinned items (JSON array of objects)
          </span>
          <JsonInput id={`${labelId}-json`} labelledBy={labelId} value={items} emptyText="[]" allowEmpty={false} check={checkItems} onValidity={(problem) => problem && setDraft(null)} onChange={(v) => setDraft(v as Item[])} />
          <Button
            variant="primary"
            disabled={draft === null}
            onClick={() => {
              if (draft) onPin(draft);
              setDraft(null);
              setEditing(false);
            }}
          >
            Save pinned items
          </Button>
        </div>
      ) : (
        <ItemsView label={`Pinned output of ${nodeName}`} ports={{ main: items }} />
      )}
    </section>
  );
}

function TestSection({ onTest, sampleInput, workflowId, hasInputs }: DataTabProps) {
  const [input, setInput] = useState<Item[]>(sampleInput);
  const [valid, setValid] = useState(true);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const labelId = useId();
  // A new sample (not merely a new but equal array) replaces the edited input.
  const sampleKey = useMemo(() => JSON.stringify(sampleInput), [sampleInput]);
  const latestSample = useRef(sampleInput);
  latestSample.current = sampleInput;
  useEffect(() => setInput(latestSample.current), [sampleKey]);
  const disabled = workflowId === null || running || !valid;

  async function run() {
    setRunning(true);
    setError(null);
    setDone(false);
    try {
      await onTest(input);
      setDone(true);
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
    }
  }

  return (
    <section aria-label="Test this node" aria-busy={running} className="space-y-2 rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
      {hasInputs && (
        <>
          <span id={labelId} className="text-sm font-medium">
            Test input (JSON array of objects)
          </span>
          <JsonInput
            id={`${labelId}-json`}
            labelledBy={labelId}
            value={input}
            emptyText="[]"
            allowEmpty={false}
            check={checkItems}
            onValidity={(problem) => setValid(problem === null)}
            onChange={(v) => setInput(v as Item[])}
          />
        </>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <Button variant="primary" disabled={disabled} onClick={() => void run()}>
          <Play aria-hidden className="size-4" />
          {running ? "Testing…" : "Test node"}
        </Button>
        <p role="status" className="text-xs text-zinc-500 dark:text-zinc-400">
          {workflowId === null
            ? "Save the workflow to test its nodes."
            : running
              ? "Running the node…"
              : done
                ? "Test finished: see the output below."
                : !valid
                  ? "Fix the test input first."
                  : ""}
        </p>
      </div>
      {running && <progress aria-label="Test run in progress" className="h-1 w-full" />}
      <ErrorMessage error={error} title="The test failed" />
    </section>
  );
}
