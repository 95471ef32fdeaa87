import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { flatColumns, flattenItem, hasError } from "./flatten";
import { ItemsView } from "./ItemsView";

describe("flatten", () => {
  it("flattens nested keys into dotted columns up to a depth", () => {
    expect(flattenItem({ a: { b: { c: { d: 1 } } }, e: [1], f: {} })).toEqual({ "a.b.c": { d: 1 }, e: [1], f: {} });
    expect(flatColumns([{ a: 1, b: { c: 2 } }, { d: 3, a: 2 }])).toEqual({ columns: ["a", "b.c", "d"], hidden: 0 });
  });
  it("limits the columns", () => {
    const item = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    expect(flatColumns([item], 40)).toMatchObject({ hidden: 10 });
  });
  it("knows items carrying an error", () => {
    expect(hasError({ error: { message: "x" } })).toBe(true);
    expect(hasError({ error: null })).toBe(false);
    expect(hasError({ ok: 1 })).toBe(false);
  });
});

describe("ItemsView", () => {
  const many = Array.from({ length: 10_000 }, (_, i) => ({ id: i, name: `item ${i}`, nested: { score: i * 2 } }));

  it("renders a window of 10,000 items, not all of them", () => {
    render(<ItemsView label="Output" ports={{ main: many }} initialHeight={400} />);
    const table = screen.getByRole("table");
    expect(table).toHaveAttribute("aria-rowcount", "10001");
    const rows = within(table).getAllByRole("row");
    // The header and a screenful (plus overscan), far from 10,000.
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByRole("columnheader", { name: "nested.score" })).toBeInTheDocument();
    expect(screen.getByText("item 0")).toBeInTheDocument();
    expect(screen.queryByText("item 9999")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: /main \(10000 items\)/ })).toBeInTheDocument();
  });

  it("shows the JSON view in pages with 'show more'", async () => {
    const user = userEvent.setup();
    render(<ItemsView label="Output" ports={{ main: many }} />);
    await user.click(screen.getByRole("button", { name: "JSON" }));
    const list = screen.getByRole("list", { name: "Output as JSON" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(50);
    await user.click(screen.getByRole("button", { name: /Show more \(9950 more\)/ }));
    expect(within(list).getAllByRole("listitem")).toHaveLength(250);
  });

  it("switches ports with counts, highlights error items, notes truncation", async () => {
    const user = userEvent.setup();
    render(
      <ItemsView
        label="Output"
        ports={{ main: [{ a: 1 }], error: [{ error: { message: "boom" } }, { error: { message: "again" } }] }}
        truncated
        truncatedNote="Only the first items."
      />,
    );
    expect(screen.getByText("Only the first items.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: /error \(2 items\)/ }));
    const rows = within(screen.getByRole("table")).getAllByRole("row");
    expect(rows[1]).toHaveTextContent("error");
    expect(rows[1]!.className).toContain("bg-red-50");
  });

  it("says when there is no data", () => {
    render(<ItemsView label="Output" ports={null} empty="Nothing yet." />);
    expect(screen.getByText("Nothing yet.")).toBeInTheDocument();
  });
});
