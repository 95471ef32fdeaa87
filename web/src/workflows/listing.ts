/** Client-side ordering and filtering of the workflows list. */
export type SortKey = "updated" | "name" | "created";
export type ActiveFilter = "all" | "active" | "inactive";

export interface ListedWorkflow {
  id: number;
  name: string;
  active: boolean;
  tags?: string[];
  created_at: string;
  updated_at: string;
}

export function filterWorkflows<T extends ListedWorkflow>(
  items: readonly T[],
  search: string,
  active: ActiveFilter,
  tags: readonly string[] = [],
): T[] {
  const needle = search.trim().toLocaleLowerCase();
  return items.filter(
    (w) =>
      (active === "all" || w.active === (active === "active")) &&
      (!needle || w.name.toLocaleLowerCase().includes(needle)) &&
      tags.every((t) => (w.tags ?? []).includes(t)),
  );
}

/** The tag filter in the address: `?tag=a&tag=b` (workflows having all of them). */
export function readTags(params: URLSearchParams): string[] {
  return [...new Set(params.getAll("tag").map((t) => t.trim()).filter(Boolean))];
}

/** ``params`` with the tag filter set to ``tags`` (other parameters kept). */
export function withTags(params: URLSearchParams, tags: readonly string[]): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete("tag");
  for (const tag of tags) next.append("tag", tag);
  return next;
}

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

export function sortWorkflows<T extends ListedWorkflow>(items: readonly T[], key: SortKey): T[] {
  const out = [...items];
  switch (key) {
    case "name":
      return out.sort((a, b) => collator.compare(a.name, b.name) || a.id - b.id);
    case "created":
      return out.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id);
    case "updated":
      return out.sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at) || b.id - a.id);
  }
}

/** The API's ?active= value for a filter. */
export function activeParam(active: ActiveFilter): boolean | undefined {
  return active === "all" ? undefined : active === "active";
}

/** The import body's format: by file name, else by its first character. */
export function documentFormat(text: string, fileName?: string): "json" | "yaml" {
  const name = fileName?.toLowerCase() ?? "";
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".yaml") || name.endsWith(".yml")) return "yaml";
  const first = text.trimStart()[0];
  return first === "{" || first === "[" ? "json" : "yaml";
}
