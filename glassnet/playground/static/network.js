// The network diagram: one column of neurons per layer, a curve per weight.
// Edge colour: blue for w > 0, orange for w < 0; width grows with |w|. Each neuron shows its
// output over the input plane as a heatmap (2-D data sets). Hover a weight or a bias square
// to explain it; click a weight to pin it; click a neuron for its weighted sum.
// Edges are drawn on one canvas (8 layers of 64 neurons are 28,672 curves: too many SVG
// elements to restyle 10+ times a second); the mouse finds its edge by geometry.

import { diverging, paintUnit, rgb } from "./draw.js";

const LABELS = {
  x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁·x₂",
  "sin(x1)": "sin x₁", "sin(x2)": "sin x₂",
};
const MAX_DRAWN_INPUTS = 16;
const COLUMN_GAP = 110, MIN_GAP = 64; // px between layer columns (narrower for deep nets)
const HIT_PX = 4;
const LEVELS = 10; // edges are stroked in 2·LEVELS + 1 buckets of colour and width
const DENSE_EDGES = 2000, DENSE_FLOOR = 0.3;

const SUB = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n) => String(n).split("").map((d) => SUB[Number(d)]).join("");

// Plain names, counted from 1: hidden neuron 3 of layer 2 is h2₃, output 1 is out₁.
export function plainNeuron(sizes, k, i) {
  return k === sizes.length - 1 ? `out${sub(i + 1)}` : `h${k}${sub(i + 1)}`;
}

function nodeSize(n) {
  return n <= 8 ? 34 : Math.max(8, Math.floor(300 / n));
}

// Point t ∈ [0, 1] of the S-curve from (a, y1) to (b, y2) with control points at mid-x.
function curvePoint(e, t) {
  const s = 1 - t, mid = (e.a + e.b) / 2;
  const x = s * s * s * e.a + 3 * s * s * t * mid + 3 * s * t * t * mid + t * t * t * e.b;
  const y = s * s * s * e.y1 + 3 * s * s * t * e.y1 + 3 * s * t * t * e.y2 + t * t * t * e.y2;
  return [x, y];
}

// The curve's y at horizontal position x (x(t) is increasing, so bisect on t).
function curveYAt(e, x) {
  let lo = 0, hi = 1;
  for (let i = 0; i < 14; i++) {
    const t = (lo + hi) / 2;
    if (curvePoint(e, t)[0] < x) lo = t; else hi = t;
  }
  return curvePoint(e, (lo + hi) / 2)[1];
}

function layout(topology, room) {
  const sizes = topology.sizes;
  const gap = Math.max(MIN_GAP, Math.min(COLUMN_GAP, (room - 90) / (sizes.length - 1)));
  const collapsed = sizes[0] > MAX_DRAWN_INPUTS;
  const counts = sizes.map((n, k) => (k === 0 && collapsed ? 1 : n));
  const tallest = Math.max(...counts.map((n) => n * (nodeSize(n) + 6)));
  const height = Math.max(tallest + 30, 160);
  const width = gap * (sizes.length - 1) + 80;
  const centres = counts.map((n, k) => {
    const s = nodeSize(n);
    const top = (height - n * (s + 6)) / 2 + 10;
    return Array.from({ length: n }, (_, i) => [20 + k * gap + s / 2, top + i * (s + 6) + s / 2, s]);
  });
  const edges = centres.slice(0, -1).map((column, k) => {
    if (k === 0 && collapsed) return null;
    return column.map(([x1, y1, s1], row) => centres[k + 1].map(([x2, y2, s2], col) => (
      { layer: k, row, col, a: x1 + s1 / 2, b: x2 - s2 / 2, y1, y2 })));
  });
  return { sizes, collapsed, height, width, centres, edges, gap };
}

function makeNode(container, geometry, topology, k, i, handlers) {
  const [x, y, s] = geometry.centres[k][i];
  const node = document.createElement("div");
  node.className = "node";
  Object.assign(node.style, { left: `${x - s / 2}px`, top: `${y - s / 2}px`, width: `${s}px`, height: `${s}px` });
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  node.append(canvas);
  if (k === 0) {
    node.classList.add("input");
    const name = geometry.collapsed ? `${geometry.sizes[0]} inputs` : topology.features[i] || `input ${i}`;
    const label = document.createElement("span");
    label.className = geometry.collapsed ? "label inside" : "label";
    label.textContent = LABELS[name] || name;
    node.append(label);
    if (geometry.collapsed) Object.assign(node.style, { width: "60px", left: `${x - s / 2 - 20}px` });
  } else {
    const id = { layer: k - 1, unit: i };
    Object.assign(node.dataset, id);
    node.tabIndex = 0;  // neurons are reachable by keyboard: Tab to focus, Enter to pin
    node.setAttribute("role", "button");
    node.setAttribute("aria-label", `neuron ${plainNeuron(geometry.sizes, k, i)}: its weighted sum`);
    node.addEventListener("click", () => handlers.onNeuron(id));
    node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); handlers.onNeuron(id); } });
    for (const kind of ["mouseenter", "focus"]) node.addEventListener(kind, () => handlers.onNeuronHover?.(id, node));
    for (const kind of ["mouseleave", "blur"]) node.addEventListener(kind, () => handlers.onHoverEnd?.());
    const bias = document.createElement("div");
    bias.className = "bias";
    bias.title = "bias";
    const biasId = { layer: k - 1, row: -1, col: i };
    Object.assign(bias.dataset, biasId);
    bias.tabIndex = 0;
    bias.setAttribute("role", "button");
    bias.setAttribute("aria-label", `bias of ${plainNeuron(geometry.sizes, k, i)}`);
    bias.addEventListener("focus", () => handlers.onWeight(biasId, false));
    bias.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.stopPropagation(); handlers.onWeight(biasId, true); } });
    bias.addEventListener("mouseenter", () => handlers.onWeight(biasId, false));
    bias.addEventListener("click", (e) => { e.stopPropagation(); handlers.onWeight(biasId, true); });
    node.append(bias);
  }
  container.append(node);
  return canvas;
}

function caption(container, geometry, k) {
  const n = geometry.sizes[k];
  const last = geometry.sizes.length - 1;
  const text = document.createElement("div");
  text.className = "caption";
  text.style.left = `${geometry.centres[k][0][0] - 40}px`;
  text.textContent = k === 0 ? `${n} input${n > 1 ? "s" : ""}` : k === last ? `output ${n}` : `${n} neuron${n > 1 ? "s" : ""}`;
  container.append(text);
}

export function buildNetwork(container, topology, handlers) {
  container.replaceChildren();
  const g = layout(topology, container.parentElement.clientWidth);
  Object.assign(container.style, { height: `${g.height}px`, width: `${g.width}px` });
  const board = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  board.className = "edges";
  board.width = g.width * ratio;
  board.height = g.height * ratio;
  Object.assign(board.style, { width: `${g.width}px`, height: `${g.height}px` });
  container.append(board);
  const canvases = g.centres.map((column, k) => column.map((_, i) => makeNode(container, g, topology, k, i, handlers)));
  g.centres.forEach((_, k) => caption(container, g, k));
  if (topology.input_maps) topology.input_maps.forEach((m, i) => paintUnit(canvases[0][i], topology.grid, m));
  let weights = [], marked = null, hovered = null;

  // One path per bucket: stroking 21 paths is far faster than 28,672 single strokes. A dense
  // diagram (over DENSE_EDGES curves) draws 1 px curves, which the rasteriser strokes as
  // hairlines, and only weights with |w| ≥ DENSE_FLOOR·max|w| of their layer (the faint ones
  // are invisible anyway): with wide curves, 8 × 64 neurons took ~0.9 s to paint per frame
  // in software rendering, with hairlines ~70 ms.
  const dense = g.edges.reduce((n, layer) => n + (layer ? layer.length * layer[0].length : 0), 0) > DENSE_EDGES;
  const widthOf = (u) => (dense ? 1 : 0.6 + 4 * Math.abs(u));
  function draw() {
    const ctx = board.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, g.width, g.height);
    const buckets = Array.from({ length: 2 * LEVELS + 1 }, () => new Path2D());
    const grey = new Path2D();
    const curve = (path, e) => {
      const mid = (e.a + e.b) / 2;
      path.moveTo(e.a, e.y1);
      path.bezierCurveTo(mid, e.y1, mid, e.y2, e.b, e.y2);
    };
    g.edges.forEach((layer, k) => {
      if (!layer) return;
      const w = weights[k];
      const big = w ? Math.max(1e-9, ...w.flat().map(Math.abs)) : 1;
      for (const row of layer) {
        for (const e of row) {
          if (!w) { curve(grey, e); continue; }
          const u = Math.max(-1, Math.min(1, w[e.row][e.col] / big));
          if (!dense || Math.abs(u) >= DENSE_FLOOR) curve(buckets[Math.round(u * LEVELS) + LEVELS], e);
        }
      }
    });
    ctx.strokeStyle = "#ccc";
    ctx.lineWidth = 0.6;
    ctx.stroke(grey);
    buckets.forEach((path, i) => {
      const u = (i - LEVELS) / LEVELS;
      ctx.strokeStyle = rgb(diverging(u), 0.9);
      ctx.lineWidth = widthOf(u);
      ctx.stroke(path);
    });
    for (const e of [hovered, marked]) {
      if (!e) continue;
      const path = new Path2D();
      curve(path, e);
      ctx.strokeStyle = "rgba(0, 0, 0, 0.85)";
      ctx.lineWidth = 2;
      ctx.stroke(path);
    }
  }

  // The edge under the mouse: only edges of the gap between the two columns around x.
  function edgeAt(x, y) {
    let best = null, bestDistance = HIT_PX;
    for (const layer of g.edges) {
      if (!layer || x < layer[0][0].a || x > layer[0][0].b) continue;
      for (const e of layer.flat()) {
        if (y < Math.min(e.y1, e.y2) - HIT_PX || y > Math.max(e.y1, e.y2) + HIT_PX) continue;
        const d = Math.abs(curveYAt(e, x) - y);
        if (d < bestDistance) { best = e; bestDistance = d; }
      }
    }
    return best;
  }

  const idOf = (e) => ({ layer: e.layer, row: e.row, col: e.col });
  const mouse = (event) => {
    const box = board.getBoundingClientRect();
    return edgeAt(event.clientX - box.left, event.clientY - box.top);
  };
  board.addEventListener("mousemove", (event) => {
    const e = mouse(event);
    board.style.cursor = e ? "pointer" : "default";
    if (e === hovered) return;
    hovered = e;
    draw();
    if (e) handlers.onWeight(idOf(e), false);
  });
  board.addEventListener("mouseleave", () => { hovered = null; draw(); });
  board.addEventListener("click", (event) => {
    const e = mouse(event);
    if (e) handlers.onWeight(idOf(e), true);
  });
  draw();

  return {
    update(state) {
      weights = state.weights;
      draw();
      if (state.plane) {
        const sizes = state.plane.neuron_grids;
        state.plane.neurons.forEach((layer, k) => layer.forEach((m, i) => paintUnit(canvases[k + 1][i], sizes[k], m)));
      }
      // MNIST: a first-layer neuron shows its 784 incoming weights as a 28×28 image.
      if (state.filters) state.filters.forEach((m, j) => paintUnit(canvases[1][j], 28, m));
    },
    mark(id) {
      marked = id && id.row >= 0 && g.edges[id.layer] ? g.edges[id.layer][id.row][id.col] : null;
      draw();
    },
    // The x of column k's left edge inside the diagram (for the +/− buttons above it).
    columnX(k) {
      return 20 + k * g.gap;
    },
    // Page coordinates of point t along an edge (for tests and tours).
    edgePoint(layer, row, col, t) {
      const box = board.getBoundingClientRect();
      const [x, y] = curvePoint(g.edges[layer][row][col], t);
      return [box.left + x, box.top + y];
    },
  };
}
