/** Version history in the editor: view a version on the canvas (read-only), or restore it
 * as an unsaved change. */
import { useCallback, useState } from "react";

import { fetchVersion } from "./api";
import { docFrom, type WorkflowDoc } from "./model/document";
import { withLayout } from "./model/layout";
import type { Notice } from "./useEditor";

export interface Viewing {
  version: number;
  doc: WorkflowDoc;
}

export function useVersionView(id: number, change: (fn: (doc: WorkflowDoc) => WorkflowDoc) => void, setNotice: (n: Notice) => void) {
  const [viewing, setViewing] = useState<Viewing | null>(null);
  const [versionBusy, setVersionBusy] = useState(false);
  const [versionError, setVersionError] = useState<unknown>(null);

  const view = useCallback(
    async (version: number) => {
      setVersionBusy(true);
      setVersionError(null);
      try {
        const v = await fetchVersion(id, version);
        setViewing({ version, doc: withLayout(docFrom(v.document as Record<string, unknown>)) });
        return true;
      } catch (e) {
        setVersionError(e);
        return false;
      } finally {
        setVersionBusy(false);
      }
    },
    [id],
  );

  const restore = useCallback(
    async (version: number) => {
      setVersionBusy(true);
      setVersionError(null);
      try {
        const v = await fetchVersion(id, version);
        const doc = docFrom(v.document as Record<string, unknown>);
        change(() => doc);
        setViewing(null);
        setNotice({ kind: "ok", text: `Version ${version} restored: save to make it the current version.` });
        return true;
      } catch (e) {
        setVersionError(e);
        return false;
      } finally {
        setVersionBusy(false);
      }
    },
    [change, id],
  );

  return { view, restore, viewing, setViewing, versionBusy, versionError };
}
