import { describe, expect, it } from "vitest";

import { ApiError } from "../api/errors";
import {
  emptyHttp,
  emptyRequest,
  httpFrom,
  httpToSpec,
  missingAuthFields,
  parseBody,
  requestFrom,
  requestToSpec,
  serverErrors,
} from "./httpSpec";
import { actionRowsFrom, actionsToSpecs, emptyRow, type RowErrors } from "./paramRows";

const row = (name: string, type: "string" | "password" = "password") => ({ ...emptyRow(), name, type });

describe("http block", () => {
  it("round-trips base URL and each auth scheme", () => {
    const http = { base_url: "https://api.acme.test/v1", auth: { kind: "api_key_header", name: "X-Api-Key", field: "key" } };
    const state = httpFrom(http);
    expect(state).toMatchObject({ enabled: true, baseUrl: http.base_url, kind: "api_key_header", name: "X-Api-Key", field: "key" });
    const errors: RowErrors = {};
    expect(httpToSpec(state, [row("key")], errors)).toEqual(http);
    expect(errors).toEqual({});
    expect(httpToSpec({ ...state, kind: "basic" }, [row("username", "string"), row("password")], errors)).toEqual({
      base_url: http.base_url,
      auth: { kind: "basic", username_field: "username", password_field: "password" },
    });
    expect(httpToSpec({ ...state, kind: "oauth2" }, [], errors)).toEqual({ base_url: http.base_url, auth: { kind: "oauth2" } });
    expect(errors).toEqual({});
  });

  it("is null for a type without one", () => {
    expect(httpFrom(null).enabled).toBe(false);
    expect(httpToSpec(emptyHttp(), [], {})).toBeNull();
  });

  it("names the fields it cannot accept as the server does", () => {
    const errors: RowErrors = {};
    httpToSpec({ ...emptyHttp(), enabled: true, baseUrl: "ftp://x", kind: "api_key_query", name: "", field: "nope" }, [], errors);
    expect(Object.keys(errors).sort()).toEqual(["http.auth.field", "http.auth.name", "http.base_url"]);
    expect(errors["http.auth.field"]).toMatch(/no credential field named nope/);
  });

  it("offers the credential fields a scheme needs", () => {
    const state = { ...emptyHttp(), enabled: true, kind: "bearer" as const, field: "token" };
    expect(missingAuthFields(state, []).map((f) => [f.name, f.type])).toEqual([["token", "password"]]);
    expect(missingAuthFields(state, [row("token")])).toEqual([]);
    const basic = { ...state, kind: "basic" as const };
    expect(missingAuthFields(basic, [row("password")]).map((f) => [f.name, f.type])).toEqual([["username", "string"]]);
    const oauth = missingAuthFields({ ...state, kind: "oauth2" }, [row("client_id", "string")]).map((f) => f.name);
    expect(oauth).toEqual(["grant", "client_secret", "token_url", "authorize_url", "scope"]);
  });
});

describe("request", () => {
  it("round-trips method, path, query, headers, body and the mapping", () => {
    const request = {
      method: "POST",
      path: "/items/{{ params.id }}",
      query: { q: "{{ params.q }}" },
      headers: { "X-Source": "wirework" },
      body: { title: "{{ params.title }}", tags: "{{ params.tags }}" },
      jmespath: "item",
    };
    const form = requestFrom(request)!;
    expect(form.mapping).toBe("jmespath");
    expect(form.query.map((p) => [p.name, p.value])).toEqual([["q", "{{ params.q }}"]]);
    const errors: RowErrors = {};
    expect(requestToSpec(form, "actions[0].request", errors)).toEqual(request);
    expect(errors).toEqual({});
    const expr = requestFrom({ method: "GET", path: "/", response: "{{ response.status }}" })!;
    expect(requestToSpec(expr, "r", errors)).toEqual({ method: "GET", path: "/", query: {}, headers: {}, response: "{{ response.status }}" });
  });

  it("refuses an absolute path, a body that is not JSON and unnamed headers", () => {
    const errors: RowErrors = {};
    requestToSpec(
      { ...emptyRequest(), path: "https://evil.test/x", body: "{nope", headers: [{ key: "h", name: "", value: "v" }] },
      "actions[1].request",
      errors,
    );
    expect(Object.keys(errors).sort()).toEqual([
      "actions[1].request.body",
      "actions[1].request.headers[0].name",
      "actions[1].request.path",
    ]);
  });

  it("takes a body that is one bare expression as a string", () => {
    expect(parseBody("{{ params.payload }}")).toEqual({ value: "{{ params.payload }}" });
    expect(parseBody("")).toEqual({});
    expect(parseBody('{"a": 1}')).toEqual({ value: { a: 1 } });
  });

  it("goes with its action to and from the API", () => {
    const t = {
      actions: [
        { name: "get", display_name: "", description: "", parameters: [], request: { method: "GET", path: "/x" } },
        { name: "plain", display_name: "", description: "", parameters: [] },
      ],
    };
    const rows = actionRowsFrom(t as never);
    expect(rows[1]!.request).toBeNull();
    const specs = actionsToSpecs(rows, {});
    expect(specs[0]!.request).toEqual({ method: "GET", path: "/x", query: {}, headers: {} });
    expect(specs[1]).not.toHaveProperty("request");
  });
});

describe("serverErrors", () => {
  it("files a 422's fields under the form's names", () => {
    const error = new ApiError(422, "invalid", "validation_error", [
      { field: "body.http.base_url", message: "bad url" },
      { field: "actions[0].request.path", message: "unexpected end" },
    ]);
    expect(serverErrors(error)).toEqual({ "http.base_url": "bad url", "actions[0].request.path": "unexpected end" });
    expect(serverErrors(null)).toEqual({});
  });
});
