/**
 * The @xyflow/react canvas, kept fast for big workflows: nodes and edges come in as stable
 * objects (model/graph.ts), positions during a drag and measured sizes live here (one node
 * object changes per frame, the document is written once, on drag stop), node and edge
 * components are memoised, only what is in view is rendered, and callbacks are stable.
 */
import "@xyflow/react/dist/style.css";

import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type NodeTypes,
  type EdgeTypes,
  type OnConnect,
  type XYPosition,
  type ReactFlowState,
  type Viewport,
  getNodesBounds,
  getViewportForBounds,
  useReactFlow,
  useStore,
} from "@xyflow/react";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from "react";

import type { DocConnection } from "../types";
import type { Position } from "../model/document";
import { connectionFromFlow, type EditorEdge, type EditorFlowNode } from "../model/graph";
import { CanvasActionsContext, PALETTE_MIME, type CanvasActions } from "./actions";
import { LabelledEdge } from "./LabelledEdge";
import { StickyNode } from "./StickyNode";
import { WorkflowNode } from "./WorkflowNode";
import { useDarkMode } from "./useDarkMode";

const NODE_TYPES: NodeTypes = { workflow: WorkflowNode, sticky: StickyNode };
const EDGE_TYPES: EdgeTypes = { labelled: LabelledEdge };
const FIT_OPTIONS = { padding: 0.2, maxZoom: 1 };
const MIN_ZOOM = 0.1;
const MAX_ZOOM = 2;
const PRO = { hideAttribution: true };
const MULTI_SELECT = ["Meta", "Control"];
const hasSize = (s: ReactFlowState) => s.width > 0 && s.height > 0;
// Every prop of ReactFlow must keep its identity between renders (a new object is a store
// update that every node and edge hears).

export interface SelectionChange {
  nodes: [string, boolean][];
  edges: [string, boolean][];
}

export interface CanvasProps {
  nodes: EditorFlowNode[];
  edges: EditorEdge[];
  readOnly?: boolean;
  actions: CanvasActions;
  onSelectionChange?: (change: SelectionChange) => void;
  /** Nodes/notes (by canvas id) moved by a drag, written on drag stop. */
  onMoved?: (positions: Map<string, Position>) => void;
  /** A note resized (by canvas id). */
  onResized?: (id: string, size: { width: number; height: number; position: Position }) => void;
  onConnect?: (c: DocConnection) => void;
  onNodeClick?: (id: string) => void;
  onPaneClick?: () => void;
  /** A node type dropped from the palette. */
  onDropType?: (type: string, at: Position) => void;
  children?: ReactNode;
  /** Label of the canvas region. */
  label: string;
}

interface Size {
  width: number;
  height: number;
}

export function Canvas(props: CanvasProps) {
  const { nodes: base, edges, readOnly = false, actions, label } = props;
  const flow = useReactFlow();
  const dark = useDarkMode();
  // Latest callbacks without changing the identity of what is passed to ReactFlow.
  const latest = useRef(props);
  latest.current = props;

  const [drag, setDrag] = useState<ReadonlyMap<string, XYPosition>>(new Map());
  const [sizes, setSizes] = useState<ReadonlyMap<string, Size>>(new Map());
  const measured = useRef(new Map<string, Size>());
  const [measureTick, setMeasureTick] = useState(0);
  const cache = useRef(new Map<string, { base: EditorFlowNode; pos?: XYPosition | undefined; dims?: Size | undefined; size?: Size | undefined; node: EditorFlowNode }>());

  const nodes = useMemo(() => {
    const out: EditorFlowNode[] = [];
    const seen = new Set<string>();
    for (const n of base) {
      seen.add(n.id);
      const pos = drag.get(n.id);
      // A size the node already says it has is no change.
      const m = measured.current.get(n.id);
      const dims = m && (m.width !== n.measured?.width || m.height !== n.measured?.height) ? m : undefined;
      const size = sizes.get(n.id);
      const c = cache.current.get(n.id);
      if (c && c.base === n && c.pos === pos && c.dims === dims && c.size === size) {
        out.push(c.node);
        continue;
      }
      let node: EditorFlowNode = n;
      if (pos || dims || size) {
        node = { ...n, position: pos ?? n.position } as EditorFlowNode;
        if (dims) node.measured = dims;
        if (size) {
          node.width = size.width;
          node.height = size.height;
        }
      }
      cache.current.set(n.id, { base: n, pos, dims, size, node });
      out.push(node);
    }
    for (const id of cache.current.keys()) if (!seen.has(id)) cache.current.delete(id);
    return out;
    // measureTick: the measured map changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [base, drag, sizes, measureTick]);

  const dragRef = useRef(drag);
  dragRef.current = drag;

  const onNodesChange = useCallback((changes: NodeChange<EditorFlowNode>[]) => {
    let moved: Map<string, XYPosition> | null = null;
    let committed: Map<string, Position> | null = null;
    let resized: Map<string, Size> | null = null;
    const resizeDone: string[] = [];
    let dims = false;
    const selected: [string, boolean][] = [];
    for (const c of changes) {
      if (c.type === "position" && c.position) {
        // During a drag (and a resize from the left or top): an overlay; at its end (and for
        // a keyboard move): into the document.
        if (c.dragging === false) (committed ??= new Map()).set(c.id, c.position);
        else (moved ??= new Map()).set(c.id, c.position);
      } else if (c.type === "dimensions" && c.dimensions) {
        if (c.resizing !== undefined || c.setAttributes) {
          (resized ??= new Map()).set(c.id, c.dimensions);
          if (c.resizing === false) resizeDone.push(c.id);
        }
        const previous = measured.current.get(c.id);
        if (!previous || previous.width !== c.dimensions.width || previous.height !== c.dimensions.height) {
          measured.current.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
          dims = true;
        }
      } else if (c.type === "select") {
        selected.push([c.id, c.selected]);
      }
    }
    for (const id of resizeDone) {
      const position = moved?.get(id) ?? dragRef.current.get(id) ?? flow.getInternalNode(id)?.position ?? { x: 0, y: 0 };
      latest.current.onResized?.(id, { ...resized!.get(id)!, position });
      moved?.delete(id);
    }
    // Written to the document and the overlay dropped in the same render: no jump back.
    if (committed) latest.current.onMoved?.(committed);
    if (moved?.size || resizeDone.length || committed) {
      const m = moved ?? new Map<string, XYPosition>();
      const done = [...resizeDone, ...(committed?.keys() ?? [])];
      setDrag((d) => {
        const next = new Map([...d, ...m]);
        for (const id of done) next.delete(id);
        return next;
      });
    }
    if (resized) {
      const r = resized;
      setSizes((s) => new Map([...s, ...r]));
    }
    if (dims) setMeasureTick((t) => t + 1);
    if (selected.length) latest.current.onSelectionChange?.({ nodes: selected, edges: [] });
  }, [flow]);

  useEffect(() => {
    // A resized note's size is in the document now (a new base node): drop the overlay.
    setSizes((s) => {
      if (s.size === 0) return s;
      const next = new Map(s);
      for (const id of s.keys()) {
        const n = base.find((x) => x.id === id);
        if (!n || (n.width === s.get(id)!.width && n.height === s.get(id)!.height)) next.delete(id);
      }
      return next.size === s.size ? s : next;
    });
  }, [base]);

  // The first frame already shows everything: the fitting viewport is computed from the
  // nodes' (known) sizes and the box the canvas gets, before ReactFlow draws anything, so a
  // big workflow is drawn once, at its final zoom.
  const box = useRef<HTMLDivElement>(null);
  const [initial, setInitial] = useState<Viewport | null>(null);
  const fitted = useRef(false);
  useLayoutEffect(() => {
    const r = box.current?.getBoundingClientRect();
    if (r && r.width > 0 && r.height > 0 && base.length > 0) {
      fitted.current = true;
      setInitial(getViewportForBounds(getNodesBounds(base), r.width, r.height, MIN_ZOOM, FIT_OPTIONS.maxZoom, FIT_OPTIONS.padding));
    } else setInitial({ x: 0, y: 0, zoom: 1 });
    // Once, on mount.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  // Without a box then (or no nodes yet), fit once the pane has its size.
  const sized = useStore(hasSize);
  useEffect(() => {
    if (!sized || fitted.current || base.length === 0) return;
    fitted.current = true;
    void flow.fitView(FIT_OPTIONS);
  }, [sized, base.length, flow]);

  const onEdgesChange = useCallback((changes: EdgeChange<EditorEdge>[]) => {
    const selected: [string, boolean][] = [];
    for (const c of changes) if (c.type === "select") selected.push([c.id, c.selected]);
    if (selected.length) latest.current.onSelectionChange?.({ nodes: [], edges: selected });
  }, []);

  const onConnect: OnConnect = useCallback((c: Connection) => latest.current.onConnect?.(connectionFromFlow(c)), []);
  const isValidConnection = useCallback((c: Connection | EditorEdge) => c.source !== c.target, []);
  const onNodeClick = useCallback((_e: unknown, node: EditorFlowNode) => {
    if (node.type === "workflow") latest.current.onNodeClick?.(node.id);
  }, []);
  const onPaneClick = useCallback(() => latest.current.onPaneClick?.(), []);
  const onDragOver = useCallback((e: React.DragEvent) => {
    if (e.dataTransfer.types.includes(PALETTE_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  }, []);
  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const type = e.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      e.preventDefault();
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      latest.current.onDropType?.(type, { x: at.x - 100, y: at.y - 32 });
    },
    [flow],
  );

  return (
    <CanvasActionsContext.Provider value={actions}>
      <div ref={box} className="relative h-full w-full" onDragOver={onDragOver} onDrop={onDrop}>
        {initial && (
        <ReactFlow<EditorFlowNode, EditorEdge>
          aria-label={label}
          nodes={nodes}
          edges={edges}
          nodeTypes={NODE_TYPES}
          edgeTypes={EDGE_TYPES}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onConnect={onConnect}
          isValidConnection={isValidConnection}
          onNodeClick={onNodeClick}
          onPaneClick={onPaneClick}
          nodesDraggable={!readOnly}
          nodesConnectable={!readOnly}
          edgesReconnectable={false}
          deleteKeyCode={null}
          selectionKeyCode="Shift"
          multiSelectionKeyCode={MULTI_SELECT}
          onlyRenderVisibleElements
          defaultViewport={initial}
          minZoom={MIN_ZOOM}
          maxZoom={MAX_ZOOM}
          colorMode={dark ? "dark" : "light"}
          proOptions={PRO}
        >
          <Background gap={20} />
          <Controls showInteractive={false} position="bottom-left" />
          <MiniMap pannable zoomable position="bottom-right" ariaLabel="Mini map of the workflow" nodeStrokeWidth={3} />
          {props.children}
        </ReactFlow>
        )}
      </div>
    </CanvasActionsContext.Provider>
  );
}
