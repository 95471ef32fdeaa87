/** Settings → AI assistant (owners and admins): the model provider integration and model the
 * editor's assistant asks (drafts, error explanations, write helpers). */
import { useId, useState, type FormEvent } from "react";

import { ErrorMessage } from "../../components/ErrorMessage";
import { Button, Card } from "../../components/ui";
import { IntegrationSelect } from "../../editor/panel/IntegrationSelect";
import { Notice, SectionTitle } from "../../settings/parts";
import { useAssistant, useSetAssistant, type AssistantConfig } from "./api";
import { ModelPicker } from "./ModelPicker";

export function AssistantSection() {
  const config = useAssistant();
  const titleId = useId();
  return (
    <Card>
      <section aria-labelledby={titleId} className="space-y-3">
        <SectionTitle id={titleId}>AI assistant</SectionTitle>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          The model the editor asks to draft workflows, explain failed steps and write expressions or code. Its calls count toward the daily AI spending
          limit of the instance.
        </p>
        <ErrorMessage error={config.error} title="Could not load the assistant's settings" />
        {config.data && <AssistantForm config={config.data} />}
      </section>
    </Card>
  );
}

function AssistantForm({ config }: { config: AssistantConfig }) {
  const save = useSetAssistant();
  const [integrationId, setIntegrationId] = useState<number | null>(config.integration_id ?? null);
  const [model, setModel] = useState(config.model ?? "");
  const [notice, setNotice] = useState("");
  const ids = { integration: useId(), model: useId() };
  function submit(event: FormEvent) {
    event.preventDefault();
    if (integrationId === null) return;
    setNotice("");
    save.mutate({ integration_id: integrationId, model: model.trim() }, { onSuccess: () => setNotice("The assistant's model is saved.") });
  }
  return (
    <form onSubmit={submit} className="space-y-3">
      <p className="text-sm">{config.configured ? `Now: ${config.integration_name} · ${config.model}` : "Not set up yet: the AI helpers answer that it is not configured."}</p>
      <div className="space-y-1">
        <label htmlFor={ids.integration} className="text-sm font-medium">
          Model provider integration
        </label>
        <IntegrationSelect id={ids.integration} value={integrationId} onChange={setIntegrationId} typeKeys={config.provider_types ?? []} />
      </div>
      <div className="space-y-1">
        <label htmlFor={ids.model} className="text-sm font-medium">
          Model
        </label>
        <ModelPicker id={ids.model} integrationId={integrationId} value={model} onChange={(v) => setModel(v ?? "")} />
      </div>
      <ErrorMessage error={save.error} title="Could not save" />
      <Notice>{notice}</Notice>
      <Button type="submit" variant="primary" disabled={save.isPending || integrationId === null || model.trim() === ""}>
        Save the assistant's model
      </Button>
    </form>
  );
}
