import { describe, expect, it } from "vitest";

import { loginPath, safeNext } from "./redirect";

describe("safeNext", () => {
  it.each([
    ["/workflows/3", "/workflows/3"],
    ["/executions?status=error#top", "/executions?status=error#top"],
    [null, "/workflows"],
    ["", "/workflows"],
    ["https://evil.example/", "/workflows"],
    ["//evil.example/x", "/workflows"],
    ["/\\evil.example", "/workflows"],
    ["javascript:alert(1)", "/workflows"],
    ["/login?next=/x", "/workflows"],
    ["/setup", "/workflows"],
    ["/", "/workflows"],
  ])("%s → %s", (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
});

describe("loginPath", () => {
  it("comes back to where the user was", () => {
    expect(loginPath({ pathname: "/workflows/3", search: "?tab=runs", hash: "" })).toBe(
      "/login?next=%2Fworkflows%2F3%3Ftab%3Druns",
    );
  });
  it("never loops through log-in or set-up", () => {
    expect(loginPath({ pathname: "/login", search: "?next=/x" })).toBe("/login");
    expect(loginPath({ pathname: "/setup", search: "" })).toBe("/login");
  });
});
