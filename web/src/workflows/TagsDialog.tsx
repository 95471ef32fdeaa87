import { Tags } from "lucide-react";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { ErrorMessage } from "../components/ErrorMessage";
import { TagInput } from "../components/TagInput";
import { Button } from "../components/ui";
import { useSetTags, type WorkflowOut } from "./api";

export interface TagsDialogProps {
  workflow: WorkflowOut;
  /** Every tag in use, offered as suggestions. */
  suggestions: readonly string[];
  onSaved: (workflow: WorkflowOut) => void;
  onClose: () => void;
}

/** Edit a workflow's tags from the list: a modal (focus trapped, Escape closes). */
export function TagsDialog({ workflow, suggestions, onSaved, onClose }: TagsDialogProps) {
  const save = useSetTags();
  const [tags, setTags] = useState<string[]>(workflow.tags ?? []);
  const titleId = useId();
  const inputId = useId();
  const boxRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    document.getElementById(inputId)?.focus();
    return () => previous?.focus?.();
  }, [inputId]);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(
      { id: workflow.id, tags, version: workflow.version },
      {
        onSuccess: (w) => {
          onSaved(w);
          onClose();
        },
      },
    );
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === "Escape") {
      event.stopPropagation();
      onClose();
    } else if (event.key === "Tab" && boxRef.current) {
      const focusable = boxRef.current.querySelectorAll<HTMLElement>("input, button:not([disabled])");
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last?.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first?.focus();
      }
    }
  }

  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/40 p-4">
      <form
        ref={boxRef}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onSubmit={submit}
        onKeyDown={onKeyDown}
        className="w-full max-w-lg space-y-3 rounded-lg bg-white p-6 shadow-xl dark:bg-zinc-900"
      >
        <h2 id={titleId} className="text-lg font-semibold">
          Tags of “{workflow.name}”
        </h2>
        <TagInput
          id={inputId}
          label="Tags"
          value={tags}
          onChange={setTags}
          suggestions={suggestions}
        />
        <ErrorMessage error={save.error} title="Could not save the tags" />
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={save.isPending}>
            <Tags aria-hidden className="size-4" />
            Save tags
          </Button>
        </div>
      </form>
    </div>
  );
}
