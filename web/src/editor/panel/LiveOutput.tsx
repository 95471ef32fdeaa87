/**
 * The text a node streams during a run (an AI node's answer as the model writes it), growing
 * as it comes. It subscribes to the live store itself, so a new piece of text re-renders only
 * this box (at most once per animation frame), never the rest of the panel. Nothing is shown
 * when the node has streamed nothing; the recorded output replaces it once the node's step is
 * recorded (read as soon as the step finishes, or at the end of the run).
 */
import { Radio } from "lucide-react";
import { useLayoutEffect, useRef } from "react";

import { useLiveText, type LiveSource } from "../liveStore";

export interface LiveOutputProps {
  source: LiveSource | undefined;
  nodeId: string;
  nodeName: string;
  /** The node's step is still running (else the text waits for the recorded output). */
  running: boolean;
}

export function LiveOutput({ source, nodeId, nodeName, running }: LiveOutputProps) {
  const live = useLiveText(source, nodeId);
  const box = useRef<HTMLPreElement>(null);
  // Follow the end of the text while the reader is at the end (not when they scrolled up).
  const atEnd = useRef(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [live]);
  if (!live) return null;
  return (
    <section aria-label={`Live output of ${nodeName}`} aria-busy={running} className="space-y-1" data-testid="live-output">
      <h3 className="flex items-center gap-1.5 text-sm font-semibold">
        <Radio aria-hidden className={`size-4 text-sky-600 dark:text-sky-400 ${running ? "animate-pulse" : ""}`} />
        {running ? "Streaming output…" : "Streamed output"}
        {!running && <span className="font-normal text-xs text-zinc-500 dark:text-zinc-400">(the recorded output follows in a moment)</span>}
      </h3>
      {/* A log, but not read aloud piece by piece (a screen reader would chatter per token). */}
      <pre
        ref={box}
        role="log"
        aria-live="off"
        tabIndex={0}
        aria-label={`Text streamed by ${nodeName}`}
        onScroll={(e) => {
          const el = e.currentTarget;
          atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
        className="max-h-72 overflow-y-auto rounded-md border border-sky-300 bg-sky-50 p-2 font-mono text-xs whitespace-pre-wrap break-words text-zinc-900 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:border-sky-800 dark:bg-sky-950 dark:text-zinc-100"
        data-testid="live-text"
      >
        {live.cut && <span className="text-zinc-500 dark:text-zinc-400">{"… (earlier text not shown)\n"}</span>}
        {live.text}
      </pre>
    </section>
  );
}
