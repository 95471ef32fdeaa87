/**
 * Undo/redo over whole documents (cheap: operations share unchanged parts). Changes recorded
 * with the same `key` within `windowMs` of each other are one step: the keystrokes of one
 * field, the frames of one drag, the nudges of one selection.
 */
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  lastKey: string | null;
  lastAt: number;
}

export const HISTORY_LIMIT = 100;
export const COALESCE_MS = 1000;

export function initHistory<T>(present: T): History<T> {
  return { past: [], present, future: [], lastKey: null, lastAt: 0 };
}

export interface RecordOptions {
  /** Changes with the same key close together are coalesced into one undo step. */
  key?: string | null | undefined;
  now?: number;
  windowMs?: number;
  limit?: number;
}

/** `next` as the present; the old present goes on the undo stack (unless coalesced). */
export function record<T>(h: History<T>, next: T, options: RecordOptions = {}): History<T> {
  if (next === h.present) return h;
  const { key = null, now = Date.now(), windowMs = COALESCE_MS, limit = HISTORY_LIMIT } = options;
  const coalesce = key !== null && key === h.lastKey && now - h.lastAt <= windowMs;
  if (coalesce) return { ...h, present: next, future: [], lastAt: now };
  const past = [...h.past, h.present];
  if (past.length > limit) past.splice(0, past.length - limit);
  return { past, present: next, future: [], lastKey: key, lastAt: now };
}

export const canUndo = <T>(h: History<T>) => h.past.length > 0;
export const canRedo = <T>(h: History<T>) => h.future.length > 0;

export function undo<T>(h: History<T>): History<T> {
  if (!canUndo(h)) return h;
  const previous = h.past[h.past.length - 1]!;
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future], lastKey: null, lastAt: 0 };
}

export function redo<T>(h: History<T>): History<T> {
  if (!canRedo(h)) return h;
  const [next, ...future] = h.future;
  return { past: [...h.past, h.present], present: next!, future, lastKey: null, lastAt: 0 };
}

/** Start over from `present` (a reload, another version): nothing to undo. */
export const resetHistory = initHistory;

/** Replace the present without an undo step (e.g. the server's normalised copy after a save). */
export function replacePresent<T>(h: History<T>, present: T): History<T> {
  return { ...h, present, lastKey: null };
}
