import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { LiveStore, type FrameScheduler } from "../liveStore";
import { LiveOutput } from "./LiveOutput";

function manualFrames() {
  const due: (() => void)[] = [];
  const frames: FrameScheduler = { request: (fn) => due.push(fn), cancel: () => undefined };
  return { frames, run: () => act(() => due.splice(0).forEach((fn) => fn())) };
}

describe("LiveOutput", () => {
  it("grows with the streamed text, rendering once per frame, and goes when the text is forgotten", () => {
    const { frames, run } = manualFrames();
    const store = new LiveStore(frames);
    let renders = 0;
    function Counted() {
      renders++;
      return <LiveOutput source={store} nodeId="ask" nodeName="Ask" running />;
    }
    const { rerender } = render(<Counted />);
    expect(screen.queryByRole("region", { name: "Live output of Ask" })).toBeNull();
    act(() => {
      store.delta("ask", "Once ");
      store.delta("ask", "upon ");
      store.delta("other", "elsewhere");
    });
    run();
    const region = screen.getByRole("region", { name: "Live output of Ask" });
    expect(region).toHaveAttribute("aria-busy", "true");
    expect(screen.getByText("Streaming output…")).toBeInTheDocument();
    expect(screen.getByLabelText("Text streamed by Ask")).toHaveTextContent("Once upon");
    act(() => store.delta("ask", "a time"));
    run();
    expect(screen.getByLabelText("Text streamed by Ask")).toHaveTextContent("Once upon a time");
    // The parent never re-rendered: only the box hears the store.
    expect(renders).toBe(1);
    rerender(<LiveOutput source={store} nodeId="ask" nodeName="Ask" running={false} />);
    expect(screen.getByText("Streamed output")).toBeInTheDocument();
    act(() => store.clear());
    expect(screen.queryByRole("region", { name: "Live output of Ask" })).toBeNull();
  });
});
