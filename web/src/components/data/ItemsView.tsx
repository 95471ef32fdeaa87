/**
 * Items per port as a table (nested keys flattened into columns) or as JSON. The table is
 * virtualised (only the rows in view are in the DOM) and the JSON view renders items in pages,
 * so a port with 10,000 items stays fast.
 */
import { observeElementRect, useVirtualizer, type Virtualizer } from "@tanstack/react-virtual";
import { useId, useMemo, useRef, useState } from "react";

import { Button, focusRing } from "../ui";
import { cellText, flatColumns, flattenItem, hasError } from "./flatten";

export interface ItemsViewProps {
  /** Accessible name of the section, e.g. "Output of Fetch". */
  label: string;
  /** Items per port; null when there is no data at all. */
  ports: Record<string, unknown[]> | null;
  title?: React.ReactNode;
  truncated?: boolean;
  truncatedNote?: string;
  empty?: string;
  /** Rows of the scroll area's height before the first measure (tests and first paint). */
  initialHeight?: number;
}

const ROW = 28;
const JSON_PAGE = 50;

export function ItemsView(props: ItemsViewProps) {
  const { label, title, truncated = false, empty = "No data." } = props;
  const ports = Object.keys(props.ports ?? {});
  const [chosen, setPort] = useState<string | null>(null);
  const port = chosen !== null && ports.includes(chosen) ? chosen : (ports[0] ?? "main");
  const [view, setView] = useState<"table" | "json">("table");
  const items = props.ports?.[port] ?? [];
  const portsId = useId();

  return (
    <section aria-label={label} className="space-y-2">
      <div className="flex flex-wrap items-center gap-2">
        {title && <h3 className="text-sm font-semibold">{title}</h3>}
        {ports.length > 0 && (
          <div role="group" aria-label={`${label}: ports`} id={portsId} className="flex flex-wrap gap-1">
            {ports.map((p) => (
              <Button
                key={p}
                variant={p === port ? "primary" : "ghost"}
                aria-pressed={p === port}
                className="px-2 py-0.5 text-xs"
                onClick={() => setPort(p)}
              >
                {p} <span className="tabular-nums">({props.ports?.[p]?.length ?? 0} {props.ports?.[p]?.length === 1 ? "item" : "items"})</span>
              </Button>
            ))}
          </div>
        )}
        <div role="group" aria-label={`${label}: show as`} className="ml-auto flex gap-1">
          <Button aria-pressed={view === "table"} variant={view === "table" ? "primary" : "secondary"} className="px-2 py-0.5 text-xs" onClick={() => setView("table")}>
            Table
          </Button>
          <Button aria-pressed={view === "json"} variant={view === "json" ? "primary" : "secondary"} className="px-2 py-0.5 text-xs" onClick={() => setView("json")}>
            JSON
          </Button>
        </div>
      </div>
      {truncated && (
        <p className="rounded-md bg-amber-50 p-2 text-xs text-amber-800 dark:bg-amber-950 dark:text-amber-200">
          {props.truncatedNote ?? "Truncated: only the first items are shown."}
        </p>
      )}
      {props.ports == null ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">{empty}</p>
      ) : items.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">No items on this port.</p>
      ) : view === "json" ? (
        <JsonItems key={port} label={label} items={items} />
      ) : (
        <ItemsTable key={port} label={label} items={items} initialHeight={props.initialHeight ?? 384} />
      )}
    </section>
  );
}

function ItemsTable({ label, items, initialHeight }: { label: string; items: unknown[]; initialHeight: number }) {
  const scroller = useRef<HTMLDivElement>(null);
  const { columns, hidden } = useMemo(() => flatColumns(items), [items]);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 10,
    initialRect: { width: 800, height: initialHeight },
    // A scroll area not laid out (yet, or hidden, or no layout engine) still shows a window.
    observeElementRect: (instance: Virtualizer<HTMLDivElement, Element>, cb) =>
      observeElementRect(instance, (rect) => cb(rect.height > 0 ? rect : { width: rect.width || 800, height: initialHeight })),
  });
  const rows = virtualizer.getVirtualItems();
  const top = rows[0]?.start ?? 0;
  const bottom = virtualizer.getTotalSize() - (rows.at(-1)?.end ?? 0);
  const span = columns.length + 1;
  return (
    <div>
      <div ref={scroller} className={`max-h-96 overflow-auto rounded-md border border-zinc-200 dark:border-zinc-800 ${focusRing}`} tabIndex={0} aria-label={`${label}: items`}>
        <table className="w-full text-left text-xs" aria-rowcount={items.length + 1}>
          <thead className="sticky top-0 z-10 bg-zinc-50 text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400">
            <tr aria-rowindex={1}>
              <th scope="col" className="px-2 py-1">#</th>
              {columns.length === 0 && <th scope="col" className="px-2 py-1">value</th>}
              {columns.map((c) => (
                <th key={c} scope="col" className="whitespace-nowrap px-2 py-1 font-mono">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {top > 0 && <tr aria-hidden style={{ height: top }}><td colSpan={span} /></tr>}
            {rows.map((row) => {
              const item = items[row.index];
              const flat = flattenItem(item);
              const failed = hasError(item);
              return (
                <tr
                  key={row.key}
                  aria-rowindex={row.index + 2}
                  style={{ height: ROW }}
                  className={`border-t border-zinc-100 dark:border-zinc-800 ${failed ? "bg-red-50 text-red-900 dark:bg-red-950/50 dark:text-red-200" : ""}`}
                >
                  <td className="px-2 py-1 tabular-nums text-zinc-500 dark:text-zinc-400">
                    {row.index + 1}
                    {failed && <span className="ml-1 font-semibold text-red-700 dark:text-red-300">error</span>}
                  </td>
                  {columns.length === 0 && <td className="px-2 py-1 font-mono">{cellText(item)}</td>}
                  {columns.map((c) => {
                    const text = cellText(flat[c]);
                    return (
                      <td key={c} className="max-w-xs truncate px-2 py-1 font-mono" title={text.length > 40 ? text : undefined}>
                        {text}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
            {bottom > 0 && <tr aria-hidden style={{ height: bottom }}><td colSpan={span} /></tr>}
          </tbody>
        </table>
      </div>
      {hidden > 0 && <p className="mt-1 text-xs text-zinc-500 dark:text-zinc-400">{hidden} more columns not shown: see the JSON view.</p>}
    </div>
  );
}

function JsonItems({ label, items }: { label: string; items: unknown[] }) {
  const [shown, setShown] = useState(JSON_PAGE);
  const page = items.slice(0, shown);
  return (
    <div className="space-y-2">
      <ol aria-label={`${label} as JSON`} className="max-h-96 space-y-1 overflow-auto rounded-md bg-zinc-100 p-2 dark:bg-zinc-950" tabIndex={0}>
        {page.map((item, i) => (
          <li key={i} className={hasError(item) ? "rounded border-l-4 border-red-500 bg-red-50 pl-2 dark:bg-red-950/50" : ""}>
            <pre className="whitespace-pre-wrap break-all font-mono text-xs">{JSON.stringify(item, null, 2)}</pre>
          </li>
        ))}
      </ol>
      {shown < items.length && (
        <Button className="text-xs" onClick={() => setShown((n) => n + JSON_PAGE * 4)}>
          Show more ({items.length - shown} more)
        </Button>
      )}
    </div>
  );
}
