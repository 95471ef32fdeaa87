/**
 * The node palette: node types grouped by category (Triggers, Flow, Data, Network, each
 * integration, AI…) and searched by name, type, description and category.
 */
import type { NodeTypeMeta } from "../types";

export interface PaletteSection {
  category: string;
  types: NodeTypeMeta[];
}

/** Sections in this order first; others alphabetically after them, "AI" and "Other" last. */
const ORDER = ["Triggers", "Flow", "Data", "Network"];
const LAST = ["AI", "Other"];

export function categoryOf(t: NodeTypeMeta): string {
  if (t.category) return t.category;
  const byGroup: Record<string, string> = { trigger: "Triggers", flow: "Flow", data: "Data", ai: "AI" };
  return byGroup[t.group] ?? "Other";
}

function categoryRank(category: string): [number, string] {
  const first = ORDER.indexOf(category);
  if (first >= 0) return [first, ""];
  const last = LAST.indexOf(category);
  if (last >= 0) return [1000 + last, ""];
  return [ORDER.length, category.toLowerCase()];
}

export function compareCategories(a: string, b: string): number {
  const [ra, na] = categoryRank(a);
  const [rb, nb] = categoryRank(b);
  return ra - rb || na.localeCompare(nb);
}

const norm = (s: string) => s.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");

/** How well a type matches the query (higher is better); 0: not at all. Every word of the
 * query must match somewhere. */
export function matchScore(t: NodeTypeMeta, query: string): number {
  const words = norm(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return 1;
  const name = norm(t.display_name);
  const type = norm(t.type);
  const category = norm(categoryOf(t));
  const description = norm(t.description ?? "");
  let score = 0;
  for (const w of words) {
    let best = 0;
    if (name === w) best = 100;
    else if (name.startsWith(w)) best = 60;
    else if (name.split(/[\s_.-]+/).some((part) => part.startsWith(w))) best = 45;
    else if (name.includes(w)) best = 35;
    else if (type.includes(w)) best = 25;
    else if (category.includes(w)) best = 15;
    else if (description.includes(w)) best = 5;
    if (best === 0) return 0;
    score += best;
  }
  return score;
}

export interface PaletteOptions {
  /** Leave out types with no input (triggers): what can follow a node. */
  needsInput?: boolean;
}

/** The palette's sections for a query: matching types, best match first within a section
 * (alphabetical without a query), sections in category order. */
export function paletteSections(types: readonly NodeTypeMeta[], query = "", options: PaletteOptions = {}): PaletteSection[] {
  const sections = new Map<string, { t: NodeTypeMeta; score: number }[]>();
  for (const t of types) {
    if (options.needsInput && t.inputs.length === 0) continue;
    const score = matchScore(t, query);
    if (score === 0) continue;
    const category = categoryOf(t);
    (sections.get(category) ?? sections.set(category, []).get(category)!).push({ t, score });
  }
  return [...sections.entries()]
    .sort(([a], [b]) => compareCategories(a, b))
    .map(([category, entries]) => ({
      category,
      types: entries.sort((a, b) => b.score - a.score || a.t.display_name.localeCompare(b.t.display_name)).map((e) => e.t),
    }));
}

/** The types in the order the palette lists them (for arrow-key navigation). */
export function flatten(sections: readonly PaletteSection[]): NodeTypeMeta[] {
  return sections.flatMap((s) => s.types);
}
