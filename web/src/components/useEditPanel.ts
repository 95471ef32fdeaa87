import { useEffect, useRef, useState } from "react";

/** The state of a list page that edits its rows in a panel (Integrations, Integration types):
 * the row being edited (or "new"), the row awaiting delete confirmation, and the outcome of
 * the last action (a notice or an error, never both). Closing the panel returns focus to the
 * "New" button (`newRef`), where forms start. */
export function useEditPanel<T>() {
  const newRef = useRef<HTMLButtonElement>(null);
  const [refocus, setRefocus] = useState(0);
  useEffect(() => {
    if (refocus) newRef.current?.focus();
  }, [refocus]);
  const [editing, setEditing] = useState<T | "new" | null>(null);
  const [toDelete, setToDelete] = useState<T | null>(null);
  const [notice, setNotice] = useState("");
  const [actionError, setActionError] = useState<unknown>(null);
  return {
    newRef,
    editing,
    setEditing,
    toDelete,
    setToDelete,
    notice,
    actionError,
    close() {
      setEditing(null);
      setRefocus((n) => n + 1);
    },
    report(message: string) {
      setActionError(null);
      setNotice(message);
    },
    fail(error: unknown) {
      setNotice("");
      setActionError(error);
    },
  };
}
