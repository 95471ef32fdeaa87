/** The Parameters tab: the editor's extra section, the integration of an integration action,
 * then the form generated from the type's params schema (raw JSON for an unknown type). */
import { useId } from "react";

import type React from "react";
import type { DocNode, NodeTypeMeta } from "../types";
import { usePanel } from "./context";
import { IntegrationSelect } from "./IntegrationSelect";
import { JsonInput } from "./JsonInput";
import { ObjectFields } from "./ObjectFields";

/** An integration action or trigger (`github.create_issue`) names its integration type first.
 * Core and AI nodes (`ai.*` name their model provider in their params) have none. */
export function integrationTypeKey(nodeType: string): string | null {
  if (nodeType.startsWith("core.") || nodeType.startsWith("ai.") || !nodeType.includes(".")) return null;
  return nodeType.slice(0, nodeType.indexOf("."));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

export function ParamsTab(props: { node: DocNode; nodeType: NodeTypeMeta | undefined; onChange: (n: DocNode) => void; extra?: React.ReactNode }) {
  const { node, nodeType, onChange, extra } = props;
  const { readOnly, fieldErrors, idFor } = usePanel();
  const labelId = useId();
  const typeKey = integrationTypeKey(node.type);
  const params = node.params ?? {};
  const setParams = (next: Record<string, unknown>) => onChange({ ...node, params: next });

  return (
    <div className="space-y-4">
      {nodeType?.description && <p className="text-sm text-zinc-600 dark:text-zinc-300">{nodeType.description}</p>}
      {extra}
      {typeKey && (
        <div className="space-y-1">
          <label htmlFor={idFor("integration_id")} className="text-sm font-medium">
            {"Integration "}
            <span className="sr-only">(required)</span>
          </label>
          <span aria-hidden className="ml-0.5 text-sm text-red-600 dark:text-red-400">
            *
          </span>
          <IntegrationSelect
            id={idFor("integration_id")}
            typeKey={typeKey}
            value={node.integration_id ?? null}
            disabled={readOnly}
            aria-invalid={fieldErrors.integration_id ? true : undefined}
            aria-describedby={fieldErrors.integration_id ? `${idFor("integration_id")}-error` : undefined}
            onChange={(id) => onChange({ ...node, integration_id: id })}
          />
          <p className="text-xs text-zinc-500 dark:text-zinc-400">The {typeKey} integration whose credentials this node uses.</p>
          {fieldErrors.integration_id && (
            <p id={`${idFor("integration_id")}-error`} className="text-sm text-red-700 dark:text-red-400">
              {fieldErrors.integration_id}
            </p>
          )}
        </div>
      )}
      {nodeType ? (
        <ObjectFields schema={nodeType.params_schema} path="params" value={params} onChange={setParams} />
      ) : (
        <div className="space-y-2">
          <p role="note" className="rounded-md bg-amber-50 p-2 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-200">
            The node type <code className="font-mono">{node.type}</code> is not installed on this server: its parameters are shown as JSON.
          </p>
          <span id={labelId} className="text-sm font-medium">
            Parameters (JSON object)
          </span>
          <JsonInput
            id={idFor("params")}
            labelledBy={labelId}
            value={params}
            emptyText="{}"
            readOnly={readOnly}
            check={(v) => (isRecord(v) ? null : "Must be a JSON object")}
            onChange={(v) => setParams(isRecord(v) ? v : {})}
          />
        </div>
      )}
    </div>
  );
}
