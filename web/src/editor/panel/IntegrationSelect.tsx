/** Choose an integration (credentials), only those of one type when `typeKey` is given. */
import { useIntegrations } from "../../integrations/api";
import { fieldClass } from "./context";

export interface IntegrationSelectProps {
  id: string;
  value: number | null;
  onChange: (id: number | null) => void;
  /** The integration type's key (e.g. `github`); all types when undefined. */
  typeKey?: string | undefined;
  /** Only integrations of these types (e.g. those that serve models); all when undefined. */
  typeKeys?: string[] | undefined;
  disabled?: boolean;
  "aria-describedby"?: string | undefined;
  "aria-invalid"?: boolean | undefined;
}

export function IntegrationSelect({ id, value, onChange, typeKey, typeKeys, disabled, ...aria }: IntegrationSelectProps) {
  const integrations = useIntegrations();
  const all = integrations.data ?? [];
  const choices = typeKey ? all.filter((i) => i.type === typeKey) : typeKeys ? all.filter((i) => typeKeys.includes(i.type)) : all;
  const current = value !== null && !choices.some((i) => i.id === value) ? value : null;
  return (
    <div className="space-y-1">
      <select
        id={id}
        {...aria}
        className={fieldClass}
        disabled={disabled}
        value={value === null ? "" : String(value)}
        onChange={(e) => onChange(e.target.value === "" ? null : Number(e.target.value))}
      >
        <option value="">{integrations.isPending ? "Loading…" : "(none)"}</option>
        {current !== null && <option value={String(current)}>Integration {current} (not found)</option>}
        {choices.map((i) => (
          <option key={i.id} value={String(i.id)}>
            {i.name}
            {typeKey ? "" : ` (${i.type})`}
            {i.active ? "" : " (inactive)"}
          </option>
        ))}
      </select>
      {integrations.isError && <p className="text-xs text-red-700 dark:text-red-400">Could not load the integrations.</p>}
      {integrations.isSuccess && choices.length === 0 && (
        <p className="text-xs text-zinc-500 dark:text-zinc-400">
          No {typeKey ? `${typeKey} ` : typeKeys ? "model provider " : ""}integrations yet: create one on the Integrations page.
        </p>
      )}
    </div>
  );
}
