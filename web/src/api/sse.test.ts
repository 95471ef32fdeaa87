import { describe, expect, it, vi } from "vitest";

import { readSse, SseParser } from "./sse";

/** A response body sending `chunks`, then ending (or breaking off with `fail`, or staying
 * open: `open`). */
function body(chunks: string[], fail?: Error, open = false) {
  let cancelled = false;
  const encoder = new TextEncoder();
  let i = 0;
  const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(encoder.encode(chunks[i++]));
      else if (fail) controller.error(fail);
      else if (!open) controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled };
}

describe("SseParser", () => {
  it("splits events across chunks, skips comments and joins data lines", () => {
    const parser = new SseParser();
    expect(parser.push("event: delta\ndata: {\"te")).toEqual([]);
    expect(parser.push('xt": "a"}\n\n: keep-alive\n\nevent: message\r\ndata: x\r\ndata: y\r\n\r\n')).toEqual([
      { event: "delta", data: '{"text": "a"}' },
      { event: "message", data: "x\ny" },
    ]);
  });
});

describe("readSse", () => {
  it("gives each event of a body as it completes, across chunks", async () => {
    const { stream } = body(["event: started\ndata: {\"execution_id\": \"e1\"}\n\nevent: step.del", "ta\ndata: {\"text\": \"Once\"}\n\n: keep-alive\n\n"]);
    const got = [];
    for await (const event of readSse(stream)) got.push(event);
    expect(got).toEqual([
      { event: "started", data: '{"execution_id": "e1"}' },
      { event: "step.delta", data: '{"text": "Once"}' },
    ]);
  });

  it("cancels the body when the reader stops early, and rejects when the body breaks", async () => {
    const early = body(["event: a\ndata: 1\n\nevent: b\ndata: 2\n\n", "event: c\ndata: 3\n\n"], undefined, true);
    for await (const event of readSse(early.stream)) {
      expect(event.event).toBe("a");
      break;
    }
    // Through the decoder, to the body.
    await vi.waitFor(() => expect(early.cancelled()).toBe(true));

    const broken = body(["event: a\ndata: 1\n\n"], new TypeError("network error"));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of readSse(broken.stream)) seen.push(event.event);
      })(),
    ).rejects.toThrow("network error");
    expect(seen).toEqual(["a"]);
  });
});
