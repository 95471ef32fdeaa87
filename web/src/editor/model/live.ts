/**
 * The text a node streams while it runs (`step.delta` events: an AI node's tokens), kept per
 * node: reset when the node's step starts again (a loop's next run, a retry), capped to its
 * last `LIVE_TEXT_CAP` characters, and replaced by the node's recorded output when the record
 * is read (once the node's step finished, or at the end of the run). Pure functions over immutable maps; `liveStore.ts` batches them per frame.
 */

/** At most this many characters of a node's streamed text are kept (about 64 kB). */
export const LIVE_TEXT_CAP = 64 * 1024;

export interface LiveText {
  /** The last `LIVE_TEXT_CAP` characters streamed by the node's current step. */
  text: string;
  /** Earlier text was dropped to stay under the cap. */
  cut: boolean;
}

export type LiveTexts = ReadonlyMap<string, LiveText>;

export const NO_LIVE_TEXT: LiveTexts = new Map();

/** Text received since the last frame, per node (see `DeltaBuffer`). */
export interface PendingText {
  text: string;
  cut: boolean;
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The last `cap` characters of `text` (never starting in the middle of a surrogate pair). */
export function lastChars(text: string, cap: number): { text: string; cut: boolean } {
  if (text.length <= cap) return { text, cut: false };
  let start = text.length - cap;
  if (isLowSurrogate(text.charCodeAt(start))) start += 1;
  return { text: text.slice(start), cut: true };
}

/** The live texts with each node's pending text appended (and capped). Unchanged nodes keep
 * their objects; nothing pending returns `live` itself. */
export function appendDeltas(live: LiveTexts, pending: ReadonlyMap<string, PendingText>, cap = LIVE_TEXT_CAP): LiveTexts {
  if (pending.size === 0) return live;
  const next = new Map(live);
  for (const [nodeId, add] of pending) {
    if (!add.text && !add.cut) continue;
    const previous = live.get(nodeId);
    const joined = lastChars((previous?.text ?? "") + add.text, cap);
    next.set(nodeId, { text: joined.text, cut: joined.cut || add.cut || (previous?.cut ?? false) });
  }
  return next;
}

/** The live texts without `nodeId`'s (its step starts again: a new attempt streams anew). */
export function withoutNode(live: LiveTexts, nodeId: string): LiveTexts {
  if (!live.has(nodeId)) return live;
  const next = new Map(live);
  next.delete(nodeId);
  return next;
}

/**
 * Deltas collected between two frames, per node, in bounded memory: pieces are kept as they
 * come and joined (keeping the last `cap` characters) once they add up to twice the cap, so a
 * stream that outruns the frames (or a hidden tab, where frames stop) never grows without end.
 */
export class DeltaBuffer {
  private readonly nodes = new Map<string, { pieces: string[]; length: number; cut: boolean }>();

  constructor(private readonly cap = LIVE_TEXT_CAP) {}

  get size(): number {
    return this.nodes.size;
  }

  has(nodeId: string): boolean {
    return this.nodes.has(nodeId);
  }

  add(nodeId: string, text: string): void {
    if (!text) return;
    let entry = this.nodes.get(nodeId);
    if (!entry) this.nodes.set(nodeId, (entry = { pieces: [], length: 0, cut: false }));
    entry.pieces.push(text);
    entry.length += text.length;
    if (entry.length > 2 * this.cap) {
      const kept = lastChars(entry.pieces.join(""), this.cap);
      entry.pieces = [kept.text];
      entry.length = kept.text.length;
      entry.cut = true;
    }
  }

  /** Everything collected, per node, and an empty buffer. */
  take(): Map<string, PendingText> {
    const out = new Map<string, PendingText>();
    for (const [nodeId, entry] of this.nodes) {
      const joined = lastChars(entry.pieces.join(""), this.cap);
      out.set(nodeId, { text: joined.text, cut: entry.cut || joined.cut });
    }
    this.nodes.clear();
    return out;
  }

  /** Drop what was collected for `nodeId` (or for every node). */
  drop(nodeId?: string): void {
    if (nodeId === undefined) this.nodes.clear();
    else this.nodes.delete(nodeId);
  }
}
