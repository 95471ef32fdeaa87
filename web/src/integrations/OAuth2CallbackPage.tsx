/** Where the OAuth2 provider sends the browser back (/oauth2/callback?code=…&state=…): hands
 * code and state to the server, which stores the integration's tokens, then tells the window
 * that opened the popup and closes, or (no popup) goes back to the Integrations page. */
import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";

import { toApiError } from "../api/errors";
import { focusRing } from "../components/ui";
import { finishConnect, MESSAGE_TYPE, type OAuth2Message } from "./oauth2";

export function OAuth2CallbackPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [result, setResult] = useState<OAuth2Message | null>(null);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const code = params.get("code");
    const state = params.get("state");
    const report = (message: OAuth2Message) => {
      setResult(message);
      const opener = window.opener as Window | null;
      if (opener && !opener.closed) {
        opener.postMessage(message, window.location.origin);
        window.close();
      } else if (message.ok) {
        setTimeout(() => navigate("/integrations", { replace: true }), 1500);
      }
    };
    if (params.get("error")) {
      const why = params.get("error_description") || params.get("error") || "";
      report({ type: MESSAGE_TYPE, ok: false, message: `The provider refused: ${why}` });
      return;
    }
    if (!code || !state) {
      report({ type: MESSAGE_TYPE, ok: false, message: "The provider sent no code or state back." });
      return;
    }
    finishConnect(code, state).then(
      (out) =>
        report({ type: MESSAGE_TYPE, ok: true, integration_id: out.integration_id, message: "Connected." }),
      (error: unknown) => report({ type: MESSAGE_TYPE, ok: false, message: toApiError(error).message }),
    );
  }, [params, navigate]);

  return (
    <main className="min-h-screen bg-zinc-50 p-8 text-zinc-900 dark:bg-zinc-950 dark:text-zinc-100">
      <h1 className="text-xl font-semibold">Connecting the integration</h1>
      <p
        role="status"
        aria-live="polite"
        className={`mt-3 text-sm ${
          !result ? "text-zinc-600 dark:text-zinc-400" : result.ok ? "text-emerald-700 dark:text-emerald-400" : "text-red-700 dark:text-red-400"
        }`}
      >
        {result ? result.message : "Finishing…"}
      </p>
      <p className="mt-4 text-sm">
        <Link to="/integrations" className={`text-indigo-600 underline dark:text-indigo-400 ${focusRing}`}>
          Back to Integrations
        </Link>
      </p>
    </main>
  );
}
