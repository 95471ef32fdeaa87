/**
 * Markdown (sticky notes) to safe HTML: `marked` (GitHub-flavoured: headings, bold, italic,
 * strike-through, lists, links, code, tables, line breaks kept) then DOMPurify with an
 * allow-list. Raw HTML in the text is shown as text, never interpreted. Links keep only
 * http(s) and mailto addresses and open in a new tab; images are not loaded (nothing but our
 * server is ever fetched): their alt text is shown instead.
 */
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const SAFE_URL = /^(https?:|mailto:)/i;

/** Whether a link target is allowed (http, https or mailto; nothing relative or scripted). */
export const isSafeUrl = (href: string): boolean => SAFE_URL.test(href.trim());

const marked = new Marked({
  async: false,
  gfm: true,
  breaks: true,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    image({ text }: Tokens.Image) {
      return escapeHtml(text);
    },
    link(this: { parser: { parseInline: (tokens: Tokens.Link["tokens"]) => string } }, { href, title, tokens }: Tokens.Link) {
      const inner = this.parser.parseInline(tokens);
      if (!isSafeUrl(href)) return inner;
      const t = title ? ` title="${escapeHtml(title)}"` : "";
      return `<a href="${escapeHtml(href.trim())}"${t} target="_blank" rel="noopener noreferrer nofollow">${inner}</a>`;
    },
  },
});

const ALLOWED_TAGS = ["p", "br", "strong", "em", "del", "s", "code", "pre", "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "table", "thead", "tbody", "tr", "th", "td", "input"];
const ALLOWED_ATTR = ["href", "title", "target", "rel", "type", "checked", "disabled", "start", "align"];

let purifier: ReturnType<typeof DOMPurify> | null = null;

/** A DOMPurify of our own (its hook does not touch other users of the library): links that
 * survive open in a new tab without the opener. */
function purify(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  purifier = DOMPurify(window);
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
  });
  return purifier;
}

/** Sanitised HTML for a Markdown text. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false });
  return purify().sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i });
}
