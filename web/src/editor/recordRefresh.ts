/**
 * Reading a running execution's record when nodes that streamed finish their step, so their
 * recorded output can take the place of their live text before the whole run ends. Asks are
 * coalesced: the first starts a short delay, every node asked for meanwhile (or while a read is
 * on its way) goes into the same next read, and at most one read is in flight — a burst of
 * `step.finished` events makes one request, not one each. A node the record does not have yet
 * (the server writes steps just behind their events) is asked for again, a few times.
 */

export interface RefreshOptions<R> {
  /** Read the record. */
  read: () => Promise<R>;
  /** Use it for these nodes; returns those it did not have yet. */
  apply: (record: R, nodeIds: ReadonlySet<string>) => Iterable<string>;
  /** How long to wait after a first ask (more asks come in meanwhile). */
  delayMs?: number;
  /** How many reads a node gets before it waits for the end of the run. */
  tries?: number;
}

export const REFRESH_DELAY_MS = 200;
export const REFRESH_TRIES = 4;

export class RecordRefresh<R> {
  private readonly pending = new Set<string>();
  private readonly tries = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private reading = false;
  private stopped = false;

  constructor(private readonly options: RefreshOptions<R>) {}

  /** `nodeId`'s step finished: read the record soon. */
  ask(nodeId: string): void {
    if (this.stopped) return;
    this.tries.delete(nodeId);
    this.pending.add(nodeId);
    this.schedule();
  }

  /** No more reads (the run ended or is no longer followed); one on its way is ignored. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private schedule() {
    if (this.timer !== null || this.reading || this.stopped || this.pending.size === 0) return;
    this.timer = setTimeout(() => void this.read(), this.options.delayMs ?? REFRESH_DELAY_MS);
  }

  private async read() {
    this.timer = null;
    const nodes = new Set(this.pending);
    this.pending.clear();
    this.reading = true;
    let again: Iterable<string> = nodes;
    try {
      const record = await this.options.read();
      if (this.stopped) return;
      again = this.options.apply(record, nodes);
    } catch {
      // Not this time: the same nodes are asked for again.
    } finally {
      this.reading = false;
    }
    if (this.stopped) return;
    const limit = this.options.tries ?? REFRESH_TRIES;
    const missing = new Set(again);
    for (const id of nodes) if (!missing.has(id)) this.tries.delete(id);
    for (const id of missing) {
      if (this.pending.has(id)) continue; // asked for anew meanwhile
      const tries = (this.tries.get(id) ?? 0) + 1;
      this.tries.set(id, tries);
      if (tries < limit) this.pending.add(id);
    }
    this.schedule();
  }
}
