/** Saving the editor's document: a new version each time; a stale version (409) opens the
 * conflict dialog (reload, or save over the newer one), a 422 puts its errors on the nodes
 * and fields. */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState, type Dispatch, type MutableRefObject } from "react";

import { ApiError } from "../api/errors";
import { fetchWorkflow, saveWorkflow, workflowKey, type WorkflowOut } from "./api";
import type { WorkflowDoc } from "./model/document";
import { placeErrors } from "./model/validation";
import { isDirty, type EditorAction, type EditorState } from "./state";
import type { Notice } from "./useEditor";

export function useSave(id: number, stateRef: MutableRefObject<EditorState>, dispatch: Dispatch<EditorAction>, setNotice: (n: Notice) => void) {
  const client = useQueryClient();
  const [saving, setSaving] = useState(false);
  const [conflict, setConflict] = useState(false);
  const savingRef = useRef<Promise<boolean> | null>(null);

  const afterSave = useCallback(
    (out: WorkflowOut, sent: WorkflowDoc) => {
      dispatch({ type: "saved", workflow: out as never, sent });
      client.setQueryData(workflowKey(id), out);
      void client.invalidateQueries({ queryKey: ["workflows"], predicate: (q) => q.queryKey[1] !== "one" });
    },
    [client, id],
  );

  /** Save when there are changes (`quiet`: no message when there are none: a step before
   * running or listening). */
  const save = useCallback(async (quiet = false): Promise<boolean> => {
    if (savingRef.current) return savingRef.current;
    const s = stateRef.current;
    if (!isDirty(s)) {
      if (!quiet) setNotice({ kind: "ok", text: `Nothing to save: version ${s.version} is current.` });
      return true;
    }
    const sent = s.history.present;
    const attempt = (async () => {
      setSaving(true);
      try {
        const out = await saveWorkflow(id, sent, s.version);
        afterSave(out, sent);
        setNotice({ kind: "ok", text: `Saved as version ${out.version}.` });
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) setConflict(true);
        else if (e instanceof ApiError && e.status === 422) {
          const placed = placeErrors(e.errors, sent);
          dispatch({ type: "errors", placed });
          const where = placed.byNode.size ? ` Nodes with problems are outlined in red: ${[...placed.byNode.keys()].join(", ")}.` : "";
          setNotice({ kind: "error", text: `Not saved: the workflow has problems.${where}`, error: placed.general.length ? e : null });
          const first = [...placed.byNode.keys()][0];
          if (first && !stateRef.current.open) dispatch({ type: "open", node: first });
        } else setNotice({ kind: "error", text: "Not saved.", error: e });
        return false;
      } finally {
        setSaving(false);
        savingRef.current = null;
      }
    })();
    savingRef.current = attempt;
    return attempt;
  }, [id, afterSave]);

  const reload = useCallback(async () => {
    const out = await fetchWorkflow(id);
    client.setQueryData(workflowKey(id), out);
    dispatch({ type: "loaded", workflow: out as never });
    setConflict(false);
    setNotice({ kind: "ok", text: `Reloaded version ${out.version}.` });
  }, [client, id]);

  /** Save over a newer version (after a 409): the newest version number, then save. */
  const overwrite = useCallback(async () => {
    const latest = await fetchWorkflow(id);
    const sent = stateRef.current.history.present;
    try {
      const out = await saveWorkflow(id, sent, latest.version);
      afterSave(out, sent);
      setConflict(false);
      setNotice({ kind: "ok", text: `Saved over the newer version as version ${out.version}.` });
    } catch (e) {
      setConflict(false);
      setNotice({ kind: "error", text: "Not saved.", error: e });
    }
  }, [afterSave, id]);

  return { save, reload, overwrite, saving, conflict, setConflict };
}
