/** Where to go after log-in: only a path on this site, never back to log-in or set-up. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.includes("\\")) {
    return "/workflows";
  }
  const path = next.split(/[?#]/)[0] ?? "";
  if (path === "/" || path === "/login" || path === "/setup") return "/workflows";
  return next;
}

/** The log-in page's URL that comes back to ``location`` afterwards. */
export function loginPath(location: { pathname: string; search: string; hash?: string }): string {
  if (location.pathname === "/login" || location.pathname === "/setup") return "/login";
  const here = `${location.pathname}${location.search}${location.hash ?? ""}`;
  return `/login?next=${encodeURIComponent(safeNext(here))}`;
}
