import { toApiError } from "../api/errors";

/** The workflows a 409 on deleting an integration names: "… used by workflow(s) 1 ('A'), 2 ('B'): …". */
export function workflowsInUse(error: unknown): { id: number; name: string }[] {
  if (!error) return [];
  const e = toApiError(error);
  if (e.status !== 409) return [];
  const listed = /used by workflow\(s\) (.*?): remove it/.exec(e.message)?.[1];
  if (!listed) return [];
  return [...listed.matchAll(/(\d+) \((['"])(.*?)\2\)/g)].map((m) => ({ id: Number(m[1]), name: m[3] ?? "" }));
}
