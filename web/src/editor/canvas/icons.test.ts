import { Plug } from "lucide-react";
import { describe, expect, it } from "vitest";

import { NODE_TYPES } from "../panel/fixtures/nodeTypes";
import { iconFor, ICONS } from "./icons";

describe("node type icons", () => {
  it("bundles the icon of every built-in node type (the AI nodes' included)", () => {
    const missing = [...new Set(NODE_TYPES.filter((t) => !t.icon || !ICONS[t.icon]).map((t) => `${t.type}: ${t.icon ?? "(none)"}`))];
    expect(missing).toEqual([]);
    expect(iconFor("braces")).not.toBe(Plug);
    expect(iconFor("tags")).not.toBe(Plug);
  });

  it("shows the plug for a name it does not know", () => {
    expect(iconFor("no-such-icon")).toBe(Plug);
    expect(iconFor(undefined)).toBe(Plug);
  });
});
