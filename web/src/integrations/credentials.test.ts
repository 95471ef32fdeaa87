import { describe, expect, it } from "vitest";

import type { ParameterOut } from "../integration-types/api";
import { buildCredentials, initialValues, MASK, parseHosts } from "./credentials";

const p = (name: string, type: ParameterOut["type"], extra: Partial<ParameterOut> = {}): ParameterOut => ({
  name,
  type,
  required: false,
  description: "",
  ...extra,
});

const params = [
  p("base_url", "string", { required: true }),
  p("token", "password", { required: true }),
  p("api_key", "string"),
  p("retries", "number", { default: 3 }),
  p("verify", "boolean", { default: true }),
  p("region", "select", { options: ["eu", "us"] }),
  p("headers", "json"),
];

describe("credential forms", () => {
  it("starts from the type's defaults", () => {
    expect(initialValues(params)).toEqual({
      base_url: "",
      token: "",
      api_key: "",
      retries: "3",
      verify: true,
      region: "",
      headers: "",
    });
  });

  it("never fills in a stored secret, whatever its field type", () => {
    const stored = { base_url: "https://x.example", token: MASK, api_key: MASK, retries: 5, verify: false, headers: { a: 1 } };
    const values = initialValues(params, stored);
    expect(values.token).toBe("");
    expect(values.api_key).toBe("");
    expect(values.base_url).toBe("https://x.example");
    expect(values.retries).toBe("5");
    expect(values.verify).toBe(false);
    expect(JSON.parse(values.headers as string)).toEqual({ a: 1 });
    expect(Object.values(values)).not.toContain(MASK);
  });

  it("sends the mask for a blank stored secret (kept), and a new value when typed", () => {
    const stored = { base_url: "https://x.example", token: MASK, api_key: MASK };
    const values = { ...initialValues(params, stored), api_key: "new-key" };
    const { credentials, errors } = buildCredentials(params, values, stored);
    expect(errors).toEqual({});
    expect(credentials).toEqual({ base_url: "https://x.example", token: MASK, api_key: "new-key", retries: 3, verify: true });
  });

  it("leaves out blank stored non-password fields (kept by the API; the mask would be stored as is)", () => {
    const stored = { base_url: "https://x.example", token: MASK, api_key: MASK };
    const values = { ...initialValues(params, stored), base_url: "" };
    const { credentials, errors } = buildCredentials(params, values, stored);
    expect(errors).toEqual({});
    expect(credentials).toEqual({ token: MASK, retries: 3, verify: true });
  });

  it("converts numbers and JSON, and names what is wrong", () => {
    const values = { ...initialValues(params), base_url: "u", token: "t", retries: "x", headers: "{bad" };
    expect(buildCredentials(params, values).errors).toEqual({
      retries: "not a number",
      headers: expect.stringContaining("not valid JSON") as string,
    });
    const ok = buildCredentials(params, { ...values, retries: "7", headers: '{"X-A": "1"}', region: "eu" });
    expect(ok.credentials).toMatchObject({ retries: 7, headers: { "X-A": "1" }, region: "eu" });
  });

  it("requires required fields (a new integration has no stored secret)", () => {
    expect(buildCredentials(params, initialValues(params)).errors).toEqual({ base_url: "required", token: "required" });
  });

  it("reads allowed hosts", () => {
    expect(parseHosts("default", "a.example")).toBeNull();
    expect(parseHosts("list", "a.example\n *.b.example , c:8443\n\n")).toEqual(["a.example", "*.b.example", "c:8443"]);
    expect(parseHosts("list", "  ")).toEqual([]);
  });
});
