import { useState } from "react";
import { Link } from "react-router";

import { ErrorMessage } from "../components/ErrorMessage";
import { Button, Card, inputClass } from "../components/ui";
import { PageTitle } from "../pages/Placeholder";
import { useApprovals, useDecide, type PendingApproval } from "./api";

/** Agents' tool calls waiting for a person: the tool and its arguments, approve or reject
 * (with a reason the model is told). */
export function ApprovalsPage() {
  const approvals = useApprovals();
  return (
    <section className="space-y-4">
      <PageTitle>Approvals</PageTitle>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Tool calls of AI agents that wait for a decision. The execution goes on once you decide; a
        rejected call is reported to the model with your reason.
      </p>
      {approvals.isError && <ErrorMessage error={approvals.error} title="Could not load the approvals" />}
      {approvals.data?.length === 0 && (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">Nothing waits for an approval.</p>
      )}
      <ul className="space-y-3">
        {approvals.data?.map((a) => (
          <li key={`${a.execution_id}/${a.node_id}/${a.call_id}`}>
            <ApprovalCard approval={a} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function ApprovalCard({ approval }: { approval: PendingApproval }) {
  const decide = useDecide();
  const [reason, setReason] = useState("");
  const label = `${approval.tool} in execution ${approval.execution_id}`;
  const reasonId = `reason-${approval.execution_id}-${approval.call_id}`;
  return (
    <Card>
      <article aria-label={label} className="space-y-3">
        <header className="flex flex-wrap items-baseline justify-between gap-2">
          <h2 className="font-mono text-base font-semibold">{approval.tool}</h2>
          <span className="text-xs text-zinc-500 dark:text-zinc-400">
            node <code>{approval.node_id}</code> of{" "}
            <Link className="text-indigo-600 underline dark:text-indigo-400" to={`/executions/${approval.execution_id}`}>
              execution {approval.execution_id}
            </Link>
            {approval.requested_at && <> · asked {new Date(approval.requested_at).toLocaleString()}</>}
          </span>
        </header>
        <pre aria-label="Arguments" className="overflow-x-auto rounded bg-zinc-100 p-2 text-xs dark:bg-zinc-800">
          {JSON.stringify(approval.arguments, null, 2)}
        </pre>
        <div className="flex flex-wrap items-end gap-2">
          <label htmlFor={reasonId} className="flex-1 text-sm">
            Reason (optional)
            <input
              id={reasonId}
              className={inputClass}
              value={reason}
              maxLength={2000}
              onChange={(event) => setReason(event.target.value)}
            />
          </label>
          <Button
            variant="primary"
            disabled={decide.isPending}
            onClick={() => decide.mutate({ approval, approved: true, reason })}
          >
            Approve
          </Button>
          <Button
            variant="danger"
            disabled={decide.isPending}
            onClick={() => decide.mutate({ approval, approved: false, reason })}
          >
            Reject
          </Button>
        </div>
        {decide.isError && <ErrorMessage error={decide.error} title="Could not decide" />}
      </article>
    </Card>
  );
}
