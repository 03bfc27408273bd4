// The network diagram: one column of neurons per layer, an SVG curve per weight.
// Edge colour: blue for w > 0, orange for w < 0; width grows with |w|. Each neuron shows its
// output over the input plane as a heatmap (2-D data sets). Hover a weight or a bias square
// to explain it; click a neuron for its weighted sum.

import { diverging, paintUnit, rgb } from "./draw.js";

const SVG = "http://www.w3.org/2000/svg";
const LABELS = {
  x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁·x₂",
  "sin(x1)": "sin x₁", "sin(x2)": "sin x₂",
};
const MAX_DRAWN_INPUTS = 16;
const COLUMN_GAP = 110;

function nodeSize(n) {
  return n <= 8 ? 34 : Math.max(8, Math.floor(300 / n));
}

function svgElement(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

export function buildNetwork(container, topology, handlers) {
  container.replaceChildren();
  const sizes = topology.sizes;
  const collapsed = sizes[0] > MAX_DRAWN_INPUTS;
  const counts = sizes.map((n, k) => (k === 0 && collapsed ? 1 : n));
  const tallest = Math.max(...counts.map((n) => n * (nodeSize(n) + 6)));
  const height = Math.max(tallest + 30, 160);
  const width = COLUMN_GAP * (sizes.length - 1) + 80;
  container.style.height = `${height}px`;
  container.style.width = `${width}px`;
  const svg = svgElement("svg", { width, height, class: "edges" });
  container.append(svg);
  const centres = counts.map((n, k) => {
    const s = nodeSize(n);
    const top = (height - n * (s + 6)) / 2 + 10;
    return Array.from({ length: n }, (_, i) => [20 + k * COLUMN_GAP + s / 2, top + i * (s + 6) + s / 2, s]);
  });
  const edges = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    if (k === 0 && collapsed) continue;
    const layer = [];
    for (let i = 0; i < counts[k]; i++) {
      const row = [];
      for (let j = 0; j < counts[k + 1]; j++) {
        const [x1, y1, s1] = centres[k][i];
        const [x2, y2, s2] = centres[k + 1][j];
        const a = x1 + s1 / 2, b = x2 - s2 / 2, mid = (a + b) / 2;
        const d = `M${a},${y1} C${mid},${y1} ${mid},${y2} ${b},${y2}`;
        const path = svgElement("path", { d, class: "edge" });
        const hit = svgElement("path", { d, class: "edge-hit" });
        const id = { layer: k, row: i, col: j };
        hit.addEventListener("mouseenter", () => handlers.onWeight(id, false));
        hit.addEventListener("click", () => handlers.onWeight(id, true));
        Object.assign(hit.dataset, { layer: k, row: i, col: j });
        svg.append(path, hit);
        row.push(path);
      }
      layer.push(row);
    }
    edges[k] = layer;
  }
  const canvases = centres.map((column, k) => column.map(([x, y, s], i) => {
    const node = document.createElement("div");
    node.className = "node";
    Object.assign(node.style, { left: `${x - s / 2}px`, top: `${y - s / 2}px`, width: `${s}px`, height: `${s}px` });
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 1;
    node.append(canvas);
    if (k === 0) {
      node.classList.add("input");
      const name = collapsed ? `${sizes[0]} inputs` : topology.features[i] || `input ${i}`;
      const label = document.createElement("span");
      label.className = collapsed ? "label inside" : "label";
      label.textContent = LABELS[name] || name;
      node.append(label);
      if (collapsed) Object.assign(node.style, { width: "60px", left: `${x - s / 2 - 20}px` });
    } else {
      node.dataset.layer = k - 1;
      node.dataset.unit = i;
      node.title = `neuron ${i} of layer ${k}: click for its weighted sum`;
      node.addEventListener("click", () => handlers.onNeuron({ layer: k - 1, unit: i }));
      const bias = document.createElement("div");
      bias.className = "bias";
      bias.title = "bias";
      Object.assign(bias.dataset, { layer: k - 1, row: -1, col: i });
      bias.addEventListener("mouseenter", (e) => { e.stopPropagation(); handlers.onWeight({ layer: k - 1, row: -1, col: i }, false); });
      bias.addEventListener("click", (e) => { e.stopPropagation(); handlers.onWeight({ layer: k - 1, row: -1, col: i }, true); });
      node.append(bias);
    }
    container.append(node);
    return canvas;
  }));
  centres.forEach((column, k) => {
    const caption = document.createElement("div");
    caption.className = "caption";
    caption.style.left = `${column[0][0] - 40}px`;
    const n = sizes[k];
    caption.textContent = k === 0 ? `${n} input${n > 1 ? "s" : ""}` : k === sizes.length - 1 ? `output ${n}` : `${n} neuron${n > 1 ? "s" : ""}`;
    container.append(caption);
  });
  if (topology.input_maps) topology.input_maps.forEach((m, i) => paintUnit(canvases[0][i], topology.grid, m));
  return {
    update(state) {
      state.weights.forEach((w, k) => {
        if (!w || !edges[k]) return;
        const big = Math.max(1e-9, ...w.flat().map(Math.abs));
        w.forEach((row, i) => row.forEach((v, j) => {
          const path = edges[k][i][j];
          path.style.stroke = rgb(diverging(Math.max(-1, Math.min(1, v / big))), 0.9);
          path.style.strokeWidth = (0.6 + 4 * Math.min(1, Math.abs(v) / big)).toFixed(2);
        }));
      });
      if (state.plane) {
        state.plane.neurons.forEach((layer, k) => layer.forEach((m, i) => paintUnit(canvases[k + 1][i], state.plane.grid, m)));
      }
    },
    mark(id) {
      container.querySelectorAll(".edge.marked").forEach((e) => e.classList.remove("marked"));
      if (id && id.row >= 0 && edges[id.layer]) edges[id.layer][id.row][id.col].classList.add("marked");
    },
  };
}
