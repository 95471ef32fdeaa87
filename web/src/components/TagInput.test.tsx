import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { addTag, cleanTag, MAX_TAGS, TagInput } from "./TagInput";

function Harness({ initial = [], suggestions = [] }: { initial?: string[]; suggestions?: string[] }) {
  const [tags, setTags] = useState(initial);
  return (
    <form aria-label="form" onSubmit={(e) => e.preventDefault()}>
      <TagInput label="Tags" value={tags} onChange={setTags} suggestions={suggestions} />
      <output data-testid="value">{JSON.stringify(tags)}</output>
    </form>
  );
}

const value = () => JSON.parse(screen.getByTestId("value").textContent ?? "[]") as string[];
const box = () => screen.getByRole("combobox", { name: "Tags" });

describe("addTag", () => {
  it("trims, drops control characters and case-insensitive duplicates", () => {
    expect(addTag([], "  ops  ").tags).toEqual(["ops"]);
    expect(addTag(["ops"], "OPS").tags).toEqual(["ops"]);
    expect(addTag([], "a\tb").tags).toEqual(["ab"]);
    expect(addTag([], "   ").tags).toEqual([]);
    expect(cleanTag("x".repeat(41)).problem).toMatch(/at most 40/);
  });
  it("takes a suggestion's spelling and stops at the limit", () => {
    expect(addTag([], "billing", ["Billing"]).tags).toEqual(["Billing"]);
    const full = Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`);
    expect(addTag(full, "one more").problem).toMatch(/At most 20/);
  });
});

describe("TagInput", () => {
  it("adds with Enter and comma, and Backspace removes the last tag", async () => {
    render(<Harness />);
    const user = userEvent.setup();
    await user.type(box(), "ops{Enter}billing,urgent,");
    expect(value()).toEqual(["ops", "billing", "urgent"]);
    expect(box()).toHaveValue("");
    await user.keyboard("{Backspace}");
    expect(value()).toEqual(["ops", "billing"]);
    await user.click(screen.getByRole("button", { name: "Remove tag ops" }));
    expect(value()).toEqual(["billing"]);
    expect(box()).toHaveFocus();
  });

  it("says why a tag is refused", async () => {
    render(<Harness />);
    const user = userEvent.setup();
    await user.type(box(), `${"x".repeat(41)}{Enter}`);
    expect(value()).toEqual([]);
    expect(screen.getByText("A tag has at most 40 characters.")).toBeInTheDocument();
    expect(box()).toHaveAttribute("aria-invalid", "true");
  });

  it("suggests tags in use, chosen with the arrow keys or the mouse", async () => {
    render(<Harness initial={["ops"]} suggestions={["ops", "Billing", "billing-eu", "urgent"]} />);
    const user = userEvent.setup();
    await user.click(box());
    await user.type(box(), "bil");
    const list = screen.getByRole("listbox", { name: "Tags: suggestions" });
    expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual(["Billing", "billing-eu"]);
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(box()).toHaveAttribute("aria-activedescendant", within(list).getAllByRole("option")[1]?.id);
    await user.keyboard("{Enter}");
    expect(value()).toEqual(["ops", "billing-eu"]);

    await user.type(box(), "bil");
    await user.click(screen.getByRole("option", { name: "Billing" }));
    expect(value()).toEqual(["ops", "billing-eu", "Billing"]);

    await user.type(box(), "ur");
    expect(screen.getByRole("listbox", { hidden: true })).toBeVisible();
    await user.keyboard("{Escape}");
    expect(box()).toHaveAttribute("aria-expanded", "false");
  });

  it("adds what was typed when the box loses focus", async () => {
    render(<Harness />);
    const user = userEvent.setup();
    await user.type(box(), "later");
    await user.tab();
    expect(value()).toEqual(["later"]);
  });
});
