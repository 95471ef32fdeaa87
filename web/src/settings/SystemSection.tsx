import { useId } from "react";

import { ErrorMessage } from "../components/ErrorMessage";
import { Card, tableHeadClass, tableRowClass } from "../components/ui";
import { SectionTitle, when } from "./parts";
import { ago, useSystemQueue, useSystemWorkers, type QueueOut } from "./systemApi";

/** Owners and admins: the processes of the installation (from their heartbeats) and how much
 * work waits and runs. */
export function System() {
  const workers = useSystemWorkers(true);
  const queue = useSystemQueue(true);
  const titleId = useId();
  return (
    <Card>
      <section aria-labelledby={titleId} className="space-y-4">
        <SectionTitle id={titleId}>System</SectionTitle>
        <ErrorMessage error={queue.error} title="Could not load the queue" />
        {queue.data && <Queue queue={queue.data} />}
        <ErrorMessage error={workers.error} title="Could not load the processes" />
        {workers.data && (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" aria-label="Processes">
              <thead className={tableHeadClass}>
                <tr>
                  <th scope="col" className="px-3 py-2">Process</th>
                  <th scope="col" className="px-3 py-2">Kind</th>
                  <th scope="col" className="px-3 py-2">Status</th>
                  <th scope="col" className="px-3 py-2">Running</th>
                  <th scope="col" className="px-3 py-2">Last heartbeat</th>
                  <th scope="col" className="px-3 py-2">Started</th>
                </tr>
              </thead>
              <tbody>
                {workers.data.workers.length === 0 && (
                  <tr>
                    <td colSpan={6} className="px-3 py-2 text-zinc-500 dark:text-zinc-400">
                      No process has reported yet.
                    </td>
                  </tr>
                )}
                {workers.data.workers.map((w) => (
                  <tr key={w.id} className={tableRowClass}>
                    <td className="px-3 py-2">
                      <span className="font-medium">{w.hostname}</span>
                      <span className="block text-xs text-zinc-500 dark:text-zinc-400">
                        pid {w.pid} · v{w.version}
                      </span>
                    </td>
                    <td className="px-3 py-2">{w.kind}</td>
                    <td className="px-3 py-2">
                      <span
                        className={`inline-flex rounded-full px-2 py-0.5 text-xs font-medium ${
                          w.alive
                            ? "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300"
                            : "bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300"
                        }`}
                      >
                        {w.alive ? "alive" : "stale"}
                      </span>
                    </td>
                    <td className="px-3 py-2 tabular-nums">
                      {w.concurrency > 0 ? `${w.running} / ${w.concurrency}` : w.running}
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap">{ago(w.seconds_since_heartbeat)}</td>
                    <td className="px-3 py-2 whitespace-nowrap">{when(w.started_at, "—")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Card>
  );
}

function Queue({ queue }: { queue: QueueOut }) {
  const figures: [string, number | string][] = [
    ["Queued executions", queue.executions.queued],
    ["Running executions", queue.executions.running],
    ["Waiting executions", queue.executions.waiting],
    ["Running steps", Math.max(queue.running_steps, queue.reported_running)],
  ];
  if (queue.broker) {
    figures.push(["Broker queue", queue.broker.messages ?? "unknown"]);
  }
  return (
    <div className="space-y-2">
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Mode <strong>{queue.mode}</strong>
        {queue.broker && (
          <>
            {" "}
            · {queue.broker.transport} queue <code>{queue.broker.queue}</code>
          </>
        )}
      </p>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5">
        {figures.map(([label, value]) => (
          <div key={label} className="rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800">
            <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
            <dd className="text-lg font-semibold tabular-nums">{value}</dd>
          </div>
        ))}
      </dl>
      {queue.broker?.error && (
        <p role="alert" className="text-sm text-amber-700 dark:text-amber-400">
          {queue.broker.error}
        </p>
      )}
    </div>
  );
}
