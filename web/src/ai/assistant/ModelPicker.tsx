/** The model of an AI node: free text with the models the chosen provider integration lists
 * as suggestions (asked for once an integration is chosen; its error shown, typing still
 * works). */
import { toApiError } from "../../api/errors";
import { fieldClass } from "../../editor/panel/context";
import { useModels } from "./api";

export interface ModelPickerProps {
  id: string;
  integrationId: number | null;
  value: string;
  onChange: (value: string | undefined) => void;
  disabled?: boolean;
  "aria-describedby"?: string | undefined;
  "aria-invalid"?: boolean | undefined;
}

export function ModelPicker({ id, integrationId, value, onChange, disabled, ...aria }: ModelPickerProps) {
  const models = useModels(integrationId);
  const listId = `${id}-models`;
  const found = models.data ?? [];
  return (
    <div className="space-y-1">
      <input
        id={id}
        {...aria}
        className={fieldClass}
        list={listId}
        value={value}
        disabled={disabled}
        autoComplete="off"
        placeholder={found[0] ? `e.g. ${found[0].id}` : "model name"}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
      />
      <datalist id={listId}>
        {found.map((m) => (
          <option key={m.id} value={m.id}>
            {m.kind ?? ""}
          </option>
        ))}
      </datalist>
      <p className="text-xs text-zinc-500 dark:text-zinc-400" aria-live="polite">
        {integrationId === null
          ? "Choose the integration to list its models."
          : models.isPending
            ? "Listing the models…"
            : models.isError
              ? <span className="text-red-700 dark:text-red-400">Could not list the models: {toApiError(models.error).message}</span>
              : `${found.length} model${found.length === 1 ? "" : "s"} listed by the integration`}
      </p>
    </div>
  );
}
