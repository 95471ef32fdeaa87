import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { RecordRefresh } from "./recordRefresh";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** A refresh whose reads the test answers; `missing` says what each read did not have. */
function setup(missing: (nodes: ReadonlySet<string>, read: number) => string[] = () => []) {
  const reads: ((record: number) => void)[] = [];
  const applied: string[][] = [];
  const refresh = new RecordRefresh<number>({
    read: () => new Promise<number>((ok) => reads.push(ok)),
    apply: (record, nodes) => {
      applied.push([...nodes]);
      return missing(nodes, record);
    },
    delayMs: 100,
    tries: 3,
  });
  /** Answer the read on its way (the `n`th), and let its result be used. */
  const answer = async (n: number) => {
    reads[n - 1]!(n);
    await vi.advanceTimersByTimeAsync(0);
  };
  return { refresh, reads, applied, answer };
}

describe("reading the record as streaming nodes finish", () => {
  it("makes one read for a burst of asks, and one more for those asked while it was on its way", async () => {
    const { refresh, reads, applied, answer } = setup();
    refresh.ask("a");
    refresh.ask("b");
    refresh.ask("a");
    expect(reads).toHaveLength(0); // not at once: more may come
    await vi.advanceTimersByTimeAsync(100);
    expect(reads).toHaveLength(1);
    refresh.ask("c");
    refresh.ask("d");
    await vi.advanceTimersByTimeAsync(500);
    expect(reads).toHaveLength(1); // one read at a time
    await answer(1);
    expect(applied).toEqual([["a", "b"]]);
    await vi.advanceTimersByTimeAsync(100);
    expect(reads).toHaveLength(2);
    await answer(2);
    expect(applied).toEqual([["a", "b"], ["c", "d"]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toHaveLength(2); // nothing left to read
  });

  it("asks again for a node the record did not have yet, a few times at most, and after a failed read", async () => {
    const { refresh, reads, applied, answer } = setup((nodes) => [...nodes].filter((n) => n === "late"));
    refresh.ask("late");
    refresh.ask("ok");
    for (let n = 1; n <= 3; n++) {
      await vi.advanceTimersByTimeAsync(100);
      expect(reads).toHaveLength(n);
      await answer(n);
    }
    expect(applied).toEqual([["late", "ok"], ["late"], ["late"]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toHaveLength(3); // three tries: it waits for the end of the run now

    let failed = 0;
    const offline = () => {
      failed++;
      return Promise.reject(new Error("offline"));
    };
    const failing = new RecordRefresh<number>({ read: offline, apply: () => [], delayMs: 100, tries: 2 });
    failing.ask("x");
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(1000);
    expect(failed).toBe(2);
  });

  it("stops: no read after, and a read on its way is not used", async () => {
    const { refresh, reads, applied, answer } = setup();
    refresh.ask("a");
    await vi.advanceTimersByTimeAsync(100);
    refresh.stop();
    await answer(1);
    refresh.ask("b");
    await vi.advanceTimersByTimeAsync(1000);
    expect(reads).toHaveLength(1);
    expect(applied).toEqual([]);
  });
});
