/** Server-sent events read from a fetch() body (EventSource can only GET): the chat's answer
 * stream, a run started and followed from the editor (`POST …/execute?follow=true`). */

export interface SseEvent {
  event: string;
  data: string;
}

/** Feeds text as it arrives; returns the events completed so far. */
export class SseParser {
  private buffer = "";

  push(text: string): SseEvent[] {
    this.buffer += text.replace(/\r\n?/g, "\n");
    const out: SseEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // a comment (keep-alive)
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (data.length) out.push({ event, data: data.join("\n") });
    }
    return out;
  }
}

/** The events of a response body as they arrive, until it ends. Stopping early (a `break`,
 * an exception in the loop) cancels the body: the connection closes. A body that breaks
 * off rejects the next step of the loop. */
export async function* readSse(body: ReadableStream<Uint8Array<ArrayBuffer>>): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield* parser.push(next.value);
    }
  } finally {
    if (!done) void reader.cancel().catch(() => undefined);
  }
}
