/**
 * A webhook trigger's URLs in its panel: production (active workflows) and test (armed by
 * "Listen for test event": the next call within two minutes runs the workflow as it is in
 * the editor, saved first, and the run shows on the canvas), each with a copy button.
 */
import { Copy, Radio, Square } from "lucide-react";
import { useId, useState } from "react";

import { ErrorMessage } from "../components/ErrorMessage";
import { Button, inputClass } from "../components/ui";
import { copyText } from "./copyText";
import type { DocNode } from "./types";

export type ListenState =
  | { status: "idle" }
  | { status: "arming" }
  | { status: "listening"; expiresAt: string }
  | { status: "called"; executionId: string }
  | { status: "expired" }
  | { status: "error"; error: unknown };

export function webhookPath(node: DocNode): string {
  const raw = node.params?.path;
  return typeof raw === "string" ? raw.replace(/^\/+|\/+$/g, "") : "";
}

export function webhookUrls(node: DocNode, origin: string) {
  const path = webhookPath(node);
  return {
    production: path ? `${origin}/webhook/${path}` : "",
    test: path ? `${origin}/webhook-test/${path}` : "",
    method: typeof node.params?.method === "string" ? node.params.method : "POST",
  };
}

function UrlRow({ label, url, method }: { label: string; url: string; method: string }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-600 dark:text-zinc-300">
        {label}
      </label>
      <div className="flex gap-1">
        <span className="inline-flex items-center rounded-md bg-zinc-100 px-2 font-mono text-xs text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200">{method}</span>
        <input id={id} readOnly value={url || "Set a path first"} className={`${inputClass} font-mono text-xs`} onFocus={(e) => e.currentTarget.select()} />
        <Button
          aria-label={`Copy the ${label.charAt(0).toLowerCase()}${label.slice(1)}`}
          disabled={!url}
          onClick={() =>
            void copyText(url).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            })
          }
        >
          <Copy aria-hidden className="size-4" />
          {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </div>
  );
}

export interface WebhookSectionProps {
  node: DocNode;
  listen: ListenState;
  canListen: boolean;
  onListen: () => void;
  onStop: () => void;
}

export function WebhookSection({ node, listen, canListen, onListen, onStop }: WebhookSectionProps) {
  const urls = webhookUrls(node, window.location.origin);
  const listening = listen.status === "listening" || listen.status === "arming";
  return (
    <section aria-label="Webhook URLs" className="space-y-3 rounded-md border border-zinc-200 p-3 dark:border-zinc-700">
      <UrlRow label="Production URL" url={urls.production} method={urls.method} />
      <p className="text-xs text-zinc-500 dark:text-zinc-400">Answers while the workflow is active.</p>
      <UrlRow label="Test URL" url={urls.test} method={urls.method} />
      <div className="flex flex-wrap items-center gap-2">
        {listening ? (
          <Button onClick={onStop}>
            <Square aria-hidden className="size-4" />
            Stop listening
          </Button>
        ) : (
          <Button variant="primary" disabled={!canListen || !urls.test} onClick={onListen}>
            <Radio aria-hidden className="size-4" />
            Listen for test event
          </Button>
        )}
        <p role="status" className="text-xs text-zinc-600 dark:text-zinc-300">
          {listen.status === "arming" && "Saving and arming the test URL…"}
          {listen.status === "listening" && `Waiting for a call to the test URL (until ${new Date(listen.expiresAt).toLocaleTimeString()})…`}
          {listen.status === "called" && `Called: execution ${listen.executionId} is shown on the canvas.`}
          {listen.status === "expired" && "Nothing called the test URL in time."}
        </p>
      </div>
      {listen.status === "error" && <ErrorMessage error={listen.error} title="Could not listen" />}
    </section>
  );
}
