import { describe, expect, it } from "vitest";

import { ApiError } from "../api/errors";
import { workflowsInUse } from "./inUse";

describe("workflows named by a 409", () => {
  it("reads ids and names", () => {
    const e = new ApiError(
      409,
      `conflict: integration 3 is used by workflow(s) 1 ('Uses Acme'), 12 ("Bob's flow"): remove it from them (or delete them) first`,
      "conflict",
    );
    expect(workflowsInUse(e)).toEqual([
      { id: 1, name: "Uses Acme" },
      { id: 12, name: "Bob's flow" },
    ]);
  });

  it("is empty for anything else", () => {
    expect(workflowsInUse(null)).toEqual([]);
    expect(workflowsInUse(new ApiError(404, "integration 3 not found", "not_found"))).toEqual([]);
  });
});
