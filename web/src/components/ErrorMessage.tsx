import { AlertCircle } from "lucide-react";

import { toApiError } from "../api/errors";

/** An API error as the user should read it: the one-line detail, then each field's problem. */
export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = toApiError(error);
  return (
    <div
      role="alert"
      className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
    >
      <p className="flex items-start gap-2 font-medium">
        <AlertCircle aria-hidden className="mt-0.5 size-4 shrink-0" />
        <span>
          {title ? `${title}: ` : ""}
          {e.message}
        </span>
      </p>
      {e.errors.length > 1 && (
        <ul className="mt-2 list-disc space-y-0.5 pl-8">
          {e.errors.map((f, i) => (
            <li key={`${f.field}-${i}`}>
              <code className="font-mono">{f.field || "document"}</code>
              {f.node_id ? ` (node ${f.node_id})` : ""}: {f.message}
            </li>
          ))}
        </ul>
      )}
      {e.code && e.code !== "http_error" && e.code !== "client_error" && (
        <p className="mt-1 pl-6 text-xs opacity-75">code: {e.code}</p>
      )}
    </div>
  );
}

/** The message the API gave for one field, if any (to show next to that input). */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!error) return undefined;
  const e = toApiError(error);
  return e.errors.find((f) => f.field === field || f.field === `body.${field}`)?.message;
}
