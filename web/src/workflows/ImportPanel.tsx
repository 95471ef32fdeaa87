import { Upload } from "lucide-react";
import { useId, useState, type FormEvent } from "react";

import { ErrorMessage } from "../components/ErrorMessage";
import { Button, inputClass } from "../components/ui";
import { useImportWorkflow, type WorkflowOut } from "./api";
import { documentFormat } from "./listing";

/** Import a workflow: pick a JSON/YAML file, or paste the document. */
export function ImportPanel({ onImported }: { onImported: (w: WorkflowOut) => void }) {
  const importer = useImportWorkflow();
  const [text, setText] = useState("");
  const fileId = useId();
  const pasteId = useId();

  async function onFile(event: React.ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    const content = await file.text();
    importer.mutate({ text: content, format: documentFormat(content, file.name) }, { onSuccess: onImported });
  }

  function onPaste(event: FormEvent) {
    event.preventDefault();
    importer.mutate(
      { text, format: documentFormat(text) },
      {
        onSuccess: (w) => {
          setText("");
          onImported(w);
        },
      },
    );
  }

  return (
    <section aria-label="Import a workflow" className="space-y-3 rounded-lg border border-dashed border-zinc-300 p-4 dark:border-zinc-700">
      <div>
        <label htmlFor={fileId} className="mb-1 block text-sm font-medium">
          Import from a file (JSON or YAML)
        </label>
        <input
          id={fileId}
          type="file"
          accept=".json,.yaml,.yml,application/json,application/yaml,text/yaml"
          onChange={onFile}
          disabled={importer.isPending}
          className="block text-sm file:mr-3 file:rounded-md file:border-0 file:bg-indigo-50 file:px-3 file:py-1.5 file:text-indigo-700 dark:file:bg-indigo-950 dark:file:text-indigo-300"
        />
      </div>
      <form onSubmit={onPaste} className="space-y-2">
        <label htmlFor={pasteId} className="block text-sm font-medium">
          …or paste a document
        </label>
        <textarea
          id={pasteId}
          rows={6}
          value={text}
          onChange={(e) => setText(e.target.value)}
          className={`${inputClass} font-mono`}
          placeholder={"name: My workflow\nnodes: []\nconnections: []"}
        />
        <Button type="submit" disabled={!text.trim() || importer.isPending}>
          <Upload aria-hidden className="size-4" />
          Import
        </Button>
      </form>
      <ErrorMessage error={importer.error} title="Import failed" />
    </section>
  );
}
