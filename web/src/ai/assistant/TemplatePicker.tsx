/** A prompt template of the library, by name (`template.name` of the AI nodes). */
import { fieldClass } from "../../editor/panel/context";
import { useTemplates } from "../api";

export interface TemplatePickerProps {
  id: string;
  value: string;
  onChange: (value: string | undefined) => void;
  disabled?: boolean;
  "aria-describedby"?: string | undefined;
  "aria-invalid"?: boolean | undefined;
}

export function TemplatePicker({ id, value, onChange, disabled, ...aria }: TemplatePickerProps) {
  const templates = useTemplates();
  const all = templates.data ?? [];
  const missing = value !== "" && templates.isSuccess && !all.some((t) => t.name === value);
  return (
    <div className="space-y-1">
      <select id={id} {...aria} className={fieldClass} disabled={disabled} value={value} onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}>
        <option value="">{templates.isPending ? "Loading…" : "(choose a template)"}</option>
        {missing && <option value={value}>{value} (not found)</option>}
        {all.map((t) => (
          <option key={t.name} value={t.name}>
            {t.name} (v{t.latest_version})
          </option>
        ))}
      </select>
      {templates.isSuccess && all.length === 0 && <p className="text-xs text-zinc-500 dark:text-zinc-400">No prompt templates yet: create one on the Prompt templates page.</p>}
      {templates.isError && <p className="text-xs text-red-700 dark:text-red-400">Could not load the prompt templates.</p>}
    </div>
  );
}
