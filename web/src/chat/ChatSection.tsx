/** In the node panel of an `ai.chat_trigger`: where the chat lives (the hosted page) and the
 * line that embeds its widget in another site. */
import { ExternalLink } from "lucide-react";

export function ChatSection({ workflowId }: { workflowId: number | string }) {
  const origin = window.location.origin;
  const page = `${origin}/chat/${workflowId}`;
  const snippet = `<script src="${origin}/chat/widget.js" data-workflow="${workflowId}"></script>`;
  return (
    <section aria-label="Chat" className="space-y-2 rounded-md border border-zinc-200 p-3 text-sm dark:border-zinc-700">
      <div className="flex items-center justify-between gap-2">
        <code className="truncate text-xs">{page}</code>
        <a href={page} target="_blank" rel="noreferrer" className="inline-flex shrink-0 items-center gap-1 text-indigo-600 underline dark:text-indigo-400">
          Open chat
          <ExternalLink aria-hidden className="size-3.5" />
        </a>
      </div>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        Answers while the workflow is active. To embed it, add this line to a page of a site listed in Allowed origins:
      </p>
      <pre aria-label="Widget snippet" className="overflow-x-auto rounded bg-zinc-100 p-2 text-xs dark:bg-zinc-800">
        {snippet}
      </pre>
    </section>
  );
}
