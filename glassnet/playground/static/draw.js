// Drawing helpers: colour scales, byte heatmaps, the plane with its points, line charts.
// Heatmaps arrive as base64 bytes: byte b stands for v = b / 127.5 − 1 in [−1, 1].

export const CLASS_COLOURS = [
  [245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189], [214, 39, 40],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];
const WHITE = [255, 255, 255];

export function decode(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

// v in [−1, 1] → orange (−1), white (0), blue (+1), as the weights' colours.
export function diverging(v) {
  return v < 0 ? mix(WHITE, CLASS_COLOURS[0], -v) : mix(WHITE, CLASS_COLOURS[1], v);
}

export function classColour(k) {
  return CLASS_COLOURS[k % CLASS_COLOURS.length];
}

// A point's colour: its class colour darkened by a quarter, so that every point stands out
// from white and from the light shading under it at ≥ 3:1 (WCAG AA for graphics).
export function pointColour(c) {
  return mix(c, [0, 0, 0], 0.25);
}

export function rgb(c, alpha = 1) {
  return `rgba(${c[0] | 0}, ${c[1] | 0}, ${c[2] | 0}, ${alpha})`;
}

// Paint a size×size map into a canvas; colourOf(i) gives the colour of cell i.
export function paintCells(canvas, size, colourOf) {
  if (canvas.width !== size) { canvas.width = size; canvas.height = size; }
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const c = colourOf(i);
    image.data.set([c[0], c[1], c[2], 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

// The diverging colour of every byte 0…255, as RGBA rows of a lookup table.
const DIVERGING_LUT = (() => {
  const table = new Uint8ClampedArray(256 * 4);
  for (let b = 0; b < 256; b++) table.set([...diverging(b / 127.5 - 1), 255], 4 * b);
  return table;
})();

// A unit heatmap ([text, scale] from the server) with the diverging scale (hot path: a
// network of 8 × 64 neurons paints 512 of these per update, so it uses the lookup table).
export function paintUnit(canvas, size, encoded) {
  const bytes = decode(encoded[0]);
  if (canvas.width !== size) { canvas.width = size; canvas.height = size; }
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const at = 4 * bytes[i];
    image.data[4 * i] = DIVERGING_LUT[at];
    image.data[4 * i + 1] = DIVERGING_LUT[at + 1];
    image.data[4 * i + 2] = DIVERGING_LUT[at + 2];
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

// A grey image (MNIST digit): byte 0 white … 255 black.
export function paintGrey(canvas, size, text) {
  const bytes = decode(text);
  paintCells(canvas, size, (i) => [255 - bytes[i], 255 - bytes[i], 255 - bytes[i]]);
}

// The decision boundary (class + confidence bytes) or a regression surface, as cell colours.
// "Discretize" (as in TF Playground): one flat colour per predicted class, or per sign of ŷ.
export function boundaryColours(boundary, discrete = false) {
  if (boundary.surface) {
    const bytes = decode(boundary.surface[0]);
    if (discrete) return (i) => mix(WHITE, diverging(bytes[i] >= 128 ? 1 : -1), 0.6);
    return (i) => mix(WHITE, diverging(bytes[i] / 127.5 - 1), 0.8);
  }
  const cls = decode(boundary.classes);
  const conf = decode(boundary.confidence);
  if (discrete) return (i) => mix(WHITE, classColour(cls[i]), 0.6);
  return (i) => mix(WHITE, classColour(cls[i]), 0.15 + 0.6 * (conf[i] / 255));
}

// The plane: background map scaled up, then the points (train filled, test outlined).
export function drawPlane(canvas, view) {
  const { extent, grid, boundary, points, classes, showTest, chosen, yRange, discrete } = view;
  const ratio = window.devicePixelRatio || 1, css = canvas.clientWidth || 300;  // sharp on high DPI
  if (canvas.width !== Math.round(css * ratio)) canvas.width = canvas.height = Math.round(css * ratio);
  const ctx = canvas.getContext("2d");
  const size = canvas.width, k = size / 300;
  const off = document.createElement("canvas");
  paintCells(off, grid, boundaryColours(boundary, discrete));
  ctx.imageSmoothingEnabled = !discrete;
  ctx.drawImage(off, 0, 0, size, size);
  const toPx = (p) => [((p[0] + extent) / (2 * extent)) * size, ((extent - p[1]) / (2 * extent)) * size];
  const colour = (y) => pointColour(classes ? classColour(y) : diverging(Math.max(-1, Math.min(1, y / yRange))));
  const dot = (p, y, test) => {
    const [x, yy] = toPx(p);
    ctx.beginPath();
    ctx.arc(x, yy, 3.2 * k, 0, 2 * Math.PI);
    ctx.fillStyle = test ? "white" : rgb(colour(y));
    ctx.strokeStyle = test ? rgb(colour(y)) : "white";
    ctx.lineWidth = (test ? 2 : 1) * k;
    ctx.fill();
    ctx.stroke();
  };
  points.train.forEach((p, i) => dot(p, points.train_y[i], false));
  if (showTest) points.test.forEach((p, i) => dot(p, points.test_y[i], true));
  if (chosen) {
    const [x, y] = toPx(chosen);
    ctx.beginPath();
    ctx.arc(x, y, 7 * k, 0, 2 * Math.PI);
    ctx.strokeStyle = "black";
    ctx.lineWidth = 2 * k;
    ctx.stroke();
  }
  return (px, py) => [(px / size) * 2 * extent - extent, extent - (py / size) * 2 * extent];
}

// Line chart of series [{values: [[x, y], ...], dashed, colour}] with axis ticks; y from 0
// (or the minimum) to the maximum, or on a log scale (``log``: positive values only). The
// canvas is sized to its CSS width × devicePixelRatio, so lines stay sharp on high-DPI screens.
export function drawChart(canvas, series, fixedMax = null, log = false) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 300, h = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const ok = (p) => Number.isFinite(p[1]) && (!log || p[1] > 0);
  const all = series.flatMap((s) => s.values).filter(ok);
  if (all.length < 2) return;
  const f = log ? Math.log10 : (v) => v;
  const xMax = Math.max(...all.map((p) => p[0])) || 1, xMin = Math.min(...all.map((p) => p[0]));
  let yMax = f(fixedMax ?? Math.max(...all.map((p) => p[1])));
  let yMin = log ? f(Math.min(...all.map((p) => p[1]))) : fixedMax === null ? Math.min(0, ...all.map((p) => p[1])) : 0;
  if (yMax - yMin < 1e-9) { yMax += 0.5; yMin -= 0.5; }
  const left = 40, bottom = 16, top = 6, right = 6;
  const px = (x) => left + ((x - xMin) / (xMax - xMin || 1)) * (w - left - right);
  const py = (y) => h - bottom - ((f(y) - yMin) / (yMax - yMin)) * (h - top - bottom);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#444";
  ctx.strokeStyle = "#e2e2e2";
  ctx.lineWidth = 1;
  for (let t = 0; t <= 3; t++) {  // y ticks
    const v = yMin + (t / 3) * (yMax - yMin), y = h - bottom - (t / 3) * (h - top - bottom);
    const label = log ? (10 ** v).toPrecision(2) : Number(v.toPrecision(3)).toString();
    ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(w - right, y); ctx.stroke();
    ctx.fillText(label, 2, y + 4);
  }
  for (let t = 0; t <= 4; t++) {  // x ticks: epochs
    const v = xMin + (t / 4) * (xMax - xMin), x = px(v);
    ctx.fillText(Number(v.toPrecision(3)).toString(), Math.min(x - 6, w - 24), h - 3);
  }
  for (const s of series) {
    ctx.beginPath();
    ctx.setLineDash(s.dashed ? [4, 3] : []);
    ctx.strokeStyle = s.colour;
    ctx.lineWidth = 1.5;
    s.values.filter(ok).forEach((p, i) => (i ? ctx.lineTo(px(p[0]), py(p[1])) : ctx.moveTo(px(p[0]), py(p[1]))));
    ctx.stroke();
  }
  ctx.setLineDash([]);
}
