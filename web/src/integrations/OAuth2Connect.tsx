/** The Connect button of OAuth2 (authorization code) integrations and their status. */
import { useQueryClient } from "@tanstack/react-query";
import { Link2 } from "lucide-react";
import { useCallback, useEffect, useRef, useState } from "react";

import { Button } from "../components/ui";
import type { IntegrationOut } from "./api";
import { authorizeUrl, isOAuth2Message, oauth2Status, type OAuth2Message } from "./oauth2";

const expiryFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Opens the provider in a popup (or goes there when popups are blocked) and hears back from
 * the callback page; the integrations are fetched again when it is done. */
export function useOAuth2Connect(onDone: (message: OAuth2Message) => void, onError: (error: unknown) => void) {
  const client = useQueryClient();
  const [pending, setPending] = useState<number | null>(null);
  const done = useRef(onDone);
  done.current = onDone;
  const timer = useRef<ReturnType<typeof setInterval> | null>(null);

  const stopWatching = useCallback(() => {
    if (timer.current) clearInterval(timer.current);
    timer.current = null;
  }, []);

  useEffect(() => {
    function onMessage(event: MessageEvent) {
      if (event.origin !== window.location.origin || !isOAuth2Message(event.data)) return;
      stopWatching();
      setPending(null);
      void client.invalidateQueries({ queryKey: ["integrations"] });
      done.current(event.data);
    }
    window.addEventListener("message", onMessage);
    return () => {
      window.removeEventListener("message", onMessage);
      stopWatching();
    };
  }, [client, stopWatching]);

  async function connect(integration: IntegrationOut) {
    // Opened at once, in the click (popup blockers allow that), then sent to the provider.
    const popup = window.open("", "wirework-oauth2", "popup,width=640,height=760");
    setPending(integration.id);
    try {
      const url = await authorizeUrl(integration.id);
      if (!popup || popup.closed) {
        window.location.assign(url);
        return;
      }
      popup.location.href = url;
      stopWatching();
      // Closed without finishing (or the message was lost): stop waiting, look again.
      timer.current = setInterval(() => {
        if (!popup.closed) return;
        stopWatching();
        setPending(null);
        void client.invalidateQueries({ queryKey: ["integrations"] });
      }, 500);
    } catch (error) {
      popup?.close();
      setPending(null);
      onError(error);
    }
  }

  return { connect, pending };
}

export interface OAuth2CellProps {
  integration: IntegrationOut;
  pending: boolean;
  onConnect: () => void;
}

/** Connected or not (with the token's expiry), and Connect / Reconnect. */
export function OAuth2Cell({ integration: i, pending, onConnect }: OAuth2CellProps) {
  const status = oauth2Status(i);
  return (
    <div className="flex flex-wrap items-center gap-2">
      <span
        className={
          status.connected
            ? "text-emerald-700 dark:text-emerald-400"
            : "text-amber-700 dark:text-amber-400"
        }
      >
        {status.connected ? "Connected" : "Not connected"}
      </span>
      {status.connected && status.expiresAt && (
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          {status.expired ? "token expired " : "token expires "}
          {expiryFormat.format(status.expiresAt)}
          {status.refreshable ? " (refreshed automatically)" : ""}
        </span>
      )}
      <Button
        variant={status.connected ? "ghost" : "primary"}
        aria-label={`${status.connected ? "Reconnect" : "Connect"} ${i.name}`}
        disabled={pending}
        onClick={onConnect}
      >
        <Link2 aria-hidden className="size-4" />
        {pending ? "Waiting…" : status.connected ? "Reconnect" : "Connect"}
      </Button>
    </div>
  );
}
