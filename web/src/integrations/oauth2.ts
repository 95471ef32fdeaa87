/** OAuth2 (authorization code) integrations: which need connecting, whether they are, and
 * the Connect flow: the server gives the provider's authorize URL, the browser opens it in a
 * popup (or, when popups are blocked, goes there), the provider sends the browser back to the
 * UI's /oauth2/callback page, which hands code and state to the server and tells the opener. */
import { api, unwrap } from "../api/client";
import type { IntegrationTypeOut } from "../integration-types/api";
import type { IntegrationOut } from "./api";
import { MASK } from "./credentials";

/** The UI page the provider sends the browser back to (register it with the provider). */
export const CALLBACK_PATH = "/oauth2/callback";
/** The message the callback page posts to the window that opened it. */
export const MESSAGE_TYPE = "wirework-oauth2";

export interface OAuth2Message {
  type: typeof MESSAGE_TYPE;
  ok: boolean;
  integration_id?: number | undefined;
  message: string;
}

/** Whether a type authenticates with OAuth2 (declarative `oauth2` auth, or a built-in type
 * whose credentials are the OAuth2 client's). */
export function usesOAuth2(t: IntegrationTypeOut | undefined): boolean {
  if (!t) return false;
  const auth = (t.http?.auth ?? null) as { kind?: unknown } | null;
  if (auth?.kind === "oauth2") return true;
  const names = new Set(t.parameters.map((p) => p.name));
  return ["grant", "client_id", "token_url", "authorize_url"].every((n) => names.has(n));
}

/** The integration's grant (as stored, else the type's default, else OAuth2's default). */
export function grantOf(t: IntegrationTypeOut, i: IntegrationOut): string {
  const stored = i.credentials.grant;
  if (typeof stored === "string" && stored) return stored;
  const param = t.parameters.find((p) => p.name === "grant");
  return typeof param?.default === "string" ? param.default : "client_credentials";
}

/** Whether the integration is connected with a browser consent (authorization code). */
export function needsConnect(t: IntegrationTypeOut | undefined, i: IntegrationOut): boolean {
  return !!t && usesOAuth2(t) && grantOf(t, i) === "authorization_code";
}

export interface OAuth2Status {
  connected: boolean;
  /** When the access token expires; null: not known. */
  expiresAt: Date | null;
  expired: boolean;
  refreshable: boolean;
}

export function oauth2Status(i: IntegrationOut, now: Date = new Date()): OAuth2Status {
  const c = i.credentials;
  const connected = c.access_token === MASK || c.refresh_token === MASK;
  const expiresAt = typeof c.expires_at === "number" ? new Date(c.expires_at * 1000) : null;
  return {
    connected,
    expiresAt,
    expired: !!expiresAt && expiresAt.getTime() <= now.getTime(),
    refreshable: c.refresh_token === MASK,
  };
}

export function callbackUrl(origin: string = window.location.origin): string {
  return `${origin}${CALLBACK_PATH}`;
}

export async function authorizeUrl(integrationId: number): Promise<string> {
  const out = await unwrap(
    api.POST("/api/integrations/{integration_id}/oauth2/authorize", {
      params: { path: { integration_id: integrationId } },
      body: { redirect_uri: callbackUrl() },
    }),
  );
  return out.authorize_url;
}

/** Finish on the callback page: trade the provider's code (with its state) for tokens. */
export async function finishConnect(code: string, state: string) {
  return unwrap(api.GET("/api/oauth2/callback", { params: { query: { code, state } } }));
}

export function isOAuth2Message(data: unknown): data is OAuth2Message {
  return !!data && typeof data === "object" && (data as { type?: unknown }).type === MESSAGE_TYPE;
}

/** Fields Connect and token refreshes fill in: not for the user to type. */
export const TOKEN_FIELDS = new Set(["access_token", "refresh_token", "expires_at"]);

/** The credential fields the integration form shows (an OAuth2 type's tokens left out). */
export function formParameters(t: IntegrationTypeOut): IntegrationTypeOut["parameters"] {
  return usesOAuth2(t) ? t.parameters.filter((p) => !TOKEN_FIELDS.has(p.name)) : t.parameters;
}
