import { describe, expect, it } from "vitest";

import type { IntegrationTypeOut } from "../integration-types/api";
import type { IntegrationOut } from "./api";
import { callbackUrl, formParameters, grantOf, isOAuth2Message, needsConnect, oauth2Status, usesOAuth2 } from "./oauth2";

const param = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: "string" as const,
  required: false,
  description: "",
  default: null,
  options: null,
  ...extra,
});
const type = (extra: Partial<IntegrationTypeOut> = {}) =>
  ({ id: 1, key: "cal", name: "cal", display_name: "Cal", parameters: [], actions: [], http: null, ...extra }) as unknown as IntegrationTypeOut;
const integration = (credentials: Record<string, unknown>) =>
  ({ id: 7, name: "Cal", type: "cal", integration_type_id: 1, credentials, active: true }) as unknown as IntegrationOut;

const builtinOAuth = type({
  parameters: ["grant", "client_id", "client_secret", "token_url", "authorize_url"].map((n) =>
    n === "grant" ? param(n, { type: "select", options: ["client_credentials", "authorization_code"], default: "client_credentials" }) : param(n),
  ),
});

describe("OAuth2 integrations", () => {
  it("knows which types use OAuth2", () => {
    expect(usesOAuth2(type({ http: { base_url: "https://x.test", auth: { kind: "oauth2" } } }))).toBe(true);
    expect(usesOAuth2(builtinOAuth)).toBe(true);
    expect(usesOAuth2(type({ parameters: [param("token")] }))).toBe(false);
    expect(usesOAuth2(undefined)).toBe(false);
  });

  it("needs Connect only for the authorization code grant", () => {
    expect(grantOf(builtinOAuth, integration({}))).toBe("client_credentials");
    expect(needsConnect(builtinOAuth, integration({}))).toBe(false);
    expect(needsConnect(builtinOAuth, integration({ grant: "authorization_code" }))).toBe(true);
    const declarative = type({ http: { base_url: "https://x.test", auth: { kind: "oauth2" } } });
    expect(needsConnect(declarative, integration({}))).toBe(false);
    expect(needsConnect(declarative, integration({ grant: "authorization_code" }))).toBe(true);
  });

  it("reads the status from the masked tokens and the expiry", () => {
    const now = new Date(2_000_000 * 1000);
    expect(oauth2Status(integration({ grant: "authorization_code" }), now)).toEqual({
      connected: false,
      expiresAt: null,
      expired: false,
      refreshable: false,
    });
    const on = oauth2Status(integration({ access_token: "********", refresh_token: "********", expires_at: 2_000_100 }), now);
    expect(on).toMatchObject({ connected: true, expired: false, refreshable: true });
    expect(on.expiresAt?.getTime()).toBe(2_000_100 * 1000);
    expect(oauth2Status(integration({ access_token: "********", expires_at: 1_000 }), now).expired).toBe(true);
  });

  it("has the UI's callback page as the redirect URI, and recognises its message", () => {
    expect(callbackUrl("https://ww.example")).toBe("https://ww.example/oauth2/callback");
    expect(isOAuth2Message({ type: "wirework-oauth2", ok: true, message: "" })).toBe(true);
    expect(isOAuth2Message({ type: "other" })).toBe(false);
    expect(isOAuth2Message(null)).toBe(false);
  });
});

describe("the integration form of an OAuth2 type", () => {
  it("leaves out the token fields Connect fills in", () => {
    const t = type({ parameters: [...builtinOAuth.parameters, param("access_token"), param("refresh_token"), param("expires_at")] });
    expect(formParameters(t).map((p) => p.name)).toEqual(["grant", "client_id", "client_secret", "token_url", "authorize_url"]);
    const plain = type({ parameters: [param("access_token")] });
    expect(formParameters(plain).map((p) => p.name)).toEqual(["access_token"]);
  });
});
