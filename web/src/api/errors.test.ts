import { describe, expect, it } from "vitest";

import { ApiError, toApiError } from "./errors";

describe("ApiError.from", () => {
  it("reads the API's error body", () => {
    const e = ApiError.from(422, {
      detail: "nodes[1].params.url: is required",
      code: "validation_error",
      errors: [{ field: "nodes[1].params.url", message: "is required", node_id: "fetch" }, { bogus: 1 }],
    });
    expect(e.status).toBe(422);
    expect(e.message).toBe("nodes[1].params.url: is required");
    expect(e.code).toBe("validation_error");
    expect(e.errors).toEqual([{ field: "nodes[1].params.url", message: "is required", node_id: "fetch" }]);
  });

  it("survives bodies that are not the API's (proxy pages, empty bodies)", () => {
    expect(ApiError.from(502, "<html>Bad gateway</html>").message).toBe("<html>Bad gateway</html>");
    expect(ApiError.from(500, undefined).message).toBe("request failed (HTTP 500)");
    expect(ApiError.from(500, { detail: { nested: true } }).message).toBe('{"nested":true}');
  });

  it("wraps anything thrown", () => {
    expect(toApiError(new TypeError("Failed to fetch")).message).toBe("Failed to fetch");
    expect(toApiError("boom").status).toBe(0);
  });
});
