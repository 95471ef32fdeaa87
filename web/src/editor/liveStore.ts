/**
 * The live text of a followed run, outside React state: `step.delta` events go into a buffer
 * and reach the store at most once per animation frame; only the components showing a node's
 * live text (`useLiveText`) re-render then, never the canvas or the rest of the panel.
 */
import { useCallback, useSyncExternalStore } from "react";

import { appendDeltas, DeltaBuffer, LIVE_TEXT_CAP, NO_LIVE_TEXT, withoutNode, type LiveText, type LiveTexts } from "./model/live";

/** What the panel reads: a node's live text, and a way to hear when it changes. */
export interface LiveSource {
  get: (nodeId: string) => LiveText | undefined;
  subscribe: (listener: () => void) => () => void;
}

export interface FrameScheduler {
  request: (fn: () => void) => unknown;
  cancel: (handle: unknown) => void;
}

const hasFrames = () => typeof requestAnimationFrame === "function";

/** The browser's animation frames (a timer where there are none). */
export const animationFrames: FrameScheduler = {
  request: (fn) => (hasFrames() ? requestAnimationFrame(fn) : setTimeout(fn, 16)),
  cancel: (handle) => (hasFrames() ? cancelAnimationFrame(handle as number) : clearTimeout(handle as ReturnType<typeof setTimeout>)),
};

export class LiveStore implements LiveSource {
  private texts: LiveTexts = NO_LIVE_TEXT;
  private readonly pending: DeltaBuffer;
  private readonly listeners = new Set<() => void>();
  private frame: unknown = null;

  constructor(
    private readonly frames: FrameScheduler = animationFrames,
    private readonly cap = LIVE_TEXT_CAP,
  ) {
    this.pending = new DeltaBuffer(cap);
  }

  get = (nodeId: string): LiveText | undefined => this.texts.get(nodeId);

  /** Every node's live text (a new map only when something changed). */
  all = (): LiveTexts => this.texts;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** A piece of `nodeId`'s text; shown at the next frame. True when it is the first piece
   * since the node's step started (the node starts streaming). */
  delta(nodeId: string, text: string): boolean {
    if (!text) return false;
    const first = !this.texts.has(nodeId) && !this.pending.has(nodeId);
    this.pending.add(nodeId, text);
    if (this.frame === null) this.frame = this.frames.request(this.flush);
    return first;
  }

  /** Show what is pending now (before an event that must come after it). */
  flush = (): void => {
    this.cancelFrame();
    if (this.pending.size === 0) return;
    this.set(appendDeltas(this.texts, this.pending.take(), this.cap));
  };

  /** `nodeId`'s step starts (again): its text starts over. */
  reset(nodeId: string): void {
    this.flush();
    this.set(withoutNode(this.texts, nodeId));
  }

  /** Forget `nodeId`'s text (its step's recorded output takes its place). */
  forget(nodeId: string): void {
    this.pending.drop(nodeId);
    this.set(withoutNode(this.texts, nodeId));
  }

  /** Forget every node's text (a new run, the recorded output arrived). */
  clear(): void {
    this.cancelFrame();
    this.pending.drop();
    this.set(NO_LIVE_TEXT);
  }

  /** No more frames (the editor closes). */
  dispose(): void {
    this.cancelFrame();
    this.pending.drop();
  }

  private cancelFrame() {
    if (this.frame !== null) this.frames.cancel(this.frame);
    this.frame = null;
  }

  private set(next: LiveTexts) {
    if (next === this.texts) return;
    this.texts = next;
    for (const listener of [...this.listeners]) listener();
  }
}

const NO_SUBSCRIPTION = () => () => undefined;

/** `nodeId`'s live text, re-rendering the caller only when that text changes. */
export function useLiveText(source: LiveSource | undefined, nodeId: string): LiveText | undefined {
  const subscribe = source?.subscribe ?? NO_SUBSCRIPTION;
  const get = useCallback(() => source?.get(nodeId), [source, nodeId]);
  return useSyncExternalStore(subscribe, get, get);
}
