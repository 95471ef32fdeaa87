/** Renders the node panel as the editor would: a controlled node, the network faked. */
import { EditorView } from "@codemirror/view";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render } from "@testing-library/react";
import { useState } from "react";
import { vi } from "vitest";

import type { DocNode, ExpressionScope, Item, NodeTypeMeta } from "../types";
import { nodeType as fixtureType } from "./fixtures/nodeTypes";
import { NodePanel, type NodePanelProps } from "./NodePanel";

export const SCOPE: ExpressionScope = {
  json: { id: 7, title: "Crash" },
  nodes: { Fetch: { json: { status: 200 } } },
  trigger: { body: { title: "Crash" } },
  vars: {},
};

export interface Harness {
  /** The node as the panel last reported it. */
  node: () => DocNode;
  onPin: ReturnType<typeof vi.fn>;
  onTest: ReturnType<typeof vi.fn>;
  onClose: ReturnType<typeof vi.fn>;
  changes: DocNode[];
  rerender: (props: Partial<NodePanelProps>) => void;
}

export function renderPanel(
  node: DocNode,
  options: Partial<Omit<NodePanelProps, "node">> & { type?: NodeTypeMeta | null } = {},
): Harness {
  const { type, ...rest } = options;
  const nodeType = type === null ? undefined : (type ?? fixtureType(node.type));
  const changes: DocNode[] = [];
  const onPin = vi.fn();
  const onTest = vi.fn(async (_items: Item[]) => undefined);
  const onClose = vi.fn();
  let setExtra: (p: Partial<NodePanelProps>) => void = () => undefined;
  function Host() {
    const [current, setCurrent] = useState(node);
    const [extra, setExtraState] = useState<Partial<NodePanelProps>>({});
    setExtra = (p) => setExtraState((e) => ({ ...e, ...p }));
    return (
      <NodePanel
        node={current}
        nodeType={nodeType}
        workflowId={1}
        onChange={(next) => {
          changes.push(next);
          setCurrent(next);
        }}
        scope={SCOPE}
        runData={undefined}
        fieldErrors={{}}
        pinned={undefined}
        onPin={onPin}
        onTest={onTest}
        sampleInput={[{ id: 1 }]}
        onClose={onClose}
        {...rest}
        {...extra}
      />
    );
  }
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <Host />
    </QueryClientProvider>,
  );
  return {
    node: () => changes.at(-1) ?? node,
    onPin,
    onTest,
    onClose,
    changes,
    rerender: (p) => act(() => setExtra(p)),
  };
}

/** Replace the text of a CodeMirror editor (jsdom cannot type into contenteditable). */
export function setEditorText(content: HTMLElement, text: string) {
  const view = EditorView.findFromDOM(content);
  if (!view) throw new Error("not a CodeMirror editor");
  act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }));
}

export function editorText(content: HTMLElement): string {
  const view = EditorView.findFromDOM(content);
  if (!view) throw new Error("not a CodeMirror editor");
  return view.state.doc.toString();
}
