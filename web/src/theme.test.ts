import { afterEach, describe, expect, it } from "vitest";

import { applyTheme, initialTheme, saveTheme, THEME_KEY } from "./theme";

afterEach(() => window.localStorage.clear());

describe("theme", () => {
  it("follows the system until the user picks one, then remembers only that", () => {
    window.matchMedia = ((query: string) => ({ matches: query.includes("dark") })) as typeof window.matchMedia;
    expect(initialTheme()).toBe("dark");
    saveTheme("light");
    expect(initialTheme()).toBe("light");
    expect(Object.keys(window.localStorage)).toEqual([THEME_KEY]);
    applyTheme("dark");
    expect(document.documentElement).toHaveClass("dark");
    applyTheme("light");
    expect(document.documentElement).not.toHaveClass("dark");
  });

  it("ignores a stored value it does not know", () => {
    window.matchMedia = (() => ({ matches: false })) as unknown as typeof window.matchMedia;
    window.localStorage.setItem(THEME_KEY, "purple");
    expect(initialTheme()).toBe("light");
  });
});
