/**
 * Types the editor's parts share (canvas, panel, run view). Both the canvas and the panel
 * import from here; add fields, never change the meaning of one.
 */
import type { components } from "../api/schema";

/** A node of the workflow document, as the API takes it. */
export type DocNode = components["schemas"]["Node-Input"];
/** An edge of the workflow document. */
export type DocConnection = components["schemas"]["Connection"];
export type WorkflowSettings = components["schemas"]["WorkflowSettings-Input"];
export type StepOut = components["schemas"]["StepOut"];

/** One item flowing between nodes. */
export type Item = Record<string, unknown>;

/** A node type as `GET /api/node-types` describes it. */
export interface NodeTypeMeta {
  type: string;
  display_name: string;
  description: string;
  /** trigger | flow | data | integration | ai … */
  group: string;
  /** Palette section, e.g. "Triggers", "Flow", "Data", an integration's name, "AI". */
  category?: string;
  /** A lucide icon name (kebab-case), e.g. "webhook". */
  icon?: string;
  inputs: string[];
  /** Null: outputs come from the params (e.g. core.switch's cases). */
  outputs: string[] | null;
  params_schema: JsonSchema;
}

/** The subset of JSON Schema (as pydantic v2 writes it) that forms are generated from. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  /** Wirework extensions (set by the SDK's field helpers), e.g. "python" for core.code. */
  [extension: `x-${string}`]: unknown;
}

/**
 * What an expression can see, built from the last run (or pinned data): the current item
 * (`json`), other nodes' first item by name (`nodes['Name'].json`), the trigger's item and
 * the workflow's vars. Used for autocomplete and the live preview.
 */
export interface ExpressionScope {
  json?: unknown;
  nodes: Record<string, { json: unknown }>;
  trigger?: unknown;
  vars?: Record<string, unknown>;
}

/** What the editor knows about one node from the last (or the live) execution. */
export interface NodeRunData {
  status: StepOut["status"] | "pending";
  started_at?: string | null;
  finished_at?: string | null;
  items_out?: number;
  /** Items that entered the node, per input port (derived from upstream outputs). */
  input?: Record<string, Item[]>;
  /** Items the node emitted, per output port. */
  output?: Record<string, Item[]>;
  error?: Record<string, unknown> | null;
  truncated?: boolean;
  /** Live runs: the node's current step streams text (`step.delta` events). */
  streaming?: boolean;
}

/** Server validation errors for one node: param path (e.g. "params.url") → message. */
export type FieldErrors = Record<string, string>;
