import { describe, expect, it } from "vitest";

import { commandFor, isInsidePanel, isTyping, type KeyLike } from "./shortcuts";

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe("shortcuts", () => {
  it("maps key presses to commands (Ctrl or ⌘)", () => {
    expect(commandFor(key("s", { ctrlKey: true }))).toBe("save");
    expect(commandFor(key("s", { metaKey: true }))).toBe("save");
    expect(commandFor(key("z", { ctrlKey: true }))).toBe("undo");
    expect(commandFor(key("Z", { ctrlKey: true, shiftKey: true }))).toBe("redo");
    expect(commandFor(key("y", { ctrlKey: true }))).toBe("redo");
    expect(commandFor(key("c", { ctrlKey: true }))).toBe("copy");
    expect(commandFor(key("v", { metaKey: true }))).toBe("paste");
    expect(commandFor(key("x", { ctrlKey: true }))).toBe("cut");
    expect(commandFor(key("a", { ctrlKey: true }))).toBe("selectAll");
    expect(commandFor(key("Delete"))).toBe("delete");
    expect(commandFor(key("Backspace"))).toBe("delete");
    // Shift+Alt+F: on a Mac the key is "Ï", the code still KeyF.
    expect(commandFor({ ...key("Ï", { shiftKey: true, altKey: true }), code: "KeyF" })).toBe("tidy");
    expect(commandFor(key("?", { shiftKey: true }))).toBe("help");
    expect(commandFor({ ...key("!", { shiftKey: true }), code: "Digit1" })).toBe("fit");
    expect(commandFor(key("n"))).toBe("palette");
    expect(commandFor(key("Enter", { ctrlKey: true }))).toBe("run");
    expect(commandFor(key("a"))).toBeNull();
    expect(commandFor(key("q", { ctrlKey: true }))).toBeNull();
  });

  it("knows when the user is typing or inside a panel", () => {
    const input = document.createElement("input");
    const checkbox = Object.assign(document.createElement("input"), { type: "checkbox" });
    const editor = document.createElement("div");
    editor.className = "cm-editor";
    const content = document.createElement("div");
    editor.append(content);
    const dialog = document.createElement("div");
    dialog.setAttribute("role", "dialog");
    const button = document.createElement("button");
    dialog.append(button);
    expect(isTyping(input)).toBe(true);
    expect(isTyping(document.createElement("textarea"))).toBe(true);
    expect(isTyping(content)).toBe(true);
    expect(isTyping(checkbox)).toBe(false);
    expect(isTyping(document.body)).toBe(false);
    expect(isInsidePanel(button)).toBe(true);
    expect(isInsidePanel(document.body)).toBe(false);
  });
});
