/** The fields of an object schema (the params themselves, or a nested object such as a rule). */
import type { JsonSchema } from "../types";
import { usePanel } from "./context";
import { ParamField } from "./ParamField";
import { objectFields } from "./paramSchema";

export interface ObjectFieldsProps {
  schema: JsonSchema;
  /** Path of the object, e.g. `params` or `params.rules[0]`. */
  path: string;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
}

export function ObjectFields({ schema, path, value, onChange }: ObjectFieldsProps) {
  const { root, nodeType } = usePanel();
  const fields = objectFields(schema, path, { root, nodeType });
  if (fields.length === 0) {
    return <p className="text-sm text-zinc-500 dark:text-zinc-400">No parameters.</p>;
  }
  return (
    <div className="space-y-4">
      {fields.map((spec) => (
        <ParamField
          key={spec.name}
          spec={spec}
          value={value[spec.name]}
          onChange={(next) => {
            const copy = { ...value };
            if (next === undefined) delete copy[spec.name];
            else copy[spec.name] = next;
            onChange(copy);
          }}
        />
      ))}
    </div>
  );
}
