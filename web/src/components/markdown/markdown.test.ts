import { describe, expect, it } from "vitest";

import { isSafeUrl, renderMarkdown } from "./markdown";

function dom(text: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = renderMarkdown(text);
  return div;
}

describe("renderMarkdown", () => {
  it("renders headings, bold, italic, lists, code and line breaks", () => {
    const d = dom("# Title\n\n**bold** and *it* and `x = 1`\n\n- one\n- two\n\n1. first\n\n```\ncode block\n```\nline\nnext");
    expect(d.querySelector("h1")?.textContent).toBe("Title");
    expect(d.querySelector("strong")?.textContent).toBe("bold");
    expect(d.querySelector("em")?.textContent).toBe("it");
    expect(d.querySelector("p code")?.textContent).toBe("x = 1");
    expect([...d.querySelectorAll("ul li")].map((li) => li.textContent)).toEqual(["one", "two"]);
    expect(d.querySelector("ol li")?.textContent).toBe("first");
    expect(d.querySelector("pre code")?.textContent).toBe("code block\n");
    expect(d.querySelectorAll("br").length).toBeGreaterThan(0);
  });

  it("opens http(s) links in a new tab, without the opener", () => {
    const a = dom("see [the docs](https://example.com/a \"Docs\")").querySelector("a")!;
    expect(a.getAttribute("href")).toBe("https://example.com/a");
    expect(a.getAttribute("target")).toBe("_blank");
    expect(a.getAttribute("rel")).toBe("noopener noreferrer nofollow");
    expect(a.getAttribute("title")).toBe("Docs");
  });

  it("shows raw HTML as text and runs nothing", () => {
    const d = dom('<script>alert(1)</script>\n\n<img src=x onerror="alert(2)"> <b onclick="x()">b</b>');
    expect(d.querySelector("script, img, b, [onerror], [onclick]")).toBeNull();
    expect(d.textContent).toContain("<script>alert(1)</script>");
    expect(d.textContent).toContain('<b onclick="x()">');
  });

  it("drops unsafe link targets and never loads images", () => {
    const d = dom("[click](javascript:alert(1)) [data](data:text/html,hi) ![a cat](https://example.com/cat.png)");
    expect(d.querySelector("a")).toBeNull();
    expect(d.querySelector("img")).toBeNull();
    expect(d.textContent).toContain("click");
    expect(d.textContent).toContain("a cat");
  });

  it("allows only http, https and mailto addresses", () => {
    expect(isSafeUrl("https://a.test")).toBe(true);
    expect(isSafeUrl("mailto:me@a.test")).toBe(true);
    expect(isSafeUrl(" JavaScript:alert(1)")).toBe(false);
    expect(isSafeUrl("/relative")).toBe(false);
  });
});
