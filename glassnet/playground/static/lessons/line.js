// Line fitter: the server (glassnet tensors, MSE, SGD) computes the squared errors, the
// least-squares line, the loss surface and the gradient-descent path; this draws them.
import { $, api, fmt, lesson, menu, sharp } from "/static/lessons/common.js";

menu("line");
const S = { seed: 0, data: null, animating: false };
const SIZE = 340, X = [-5, 5], Y = [-4, 6];
const sx = (x) => ((x - X[0]) / (X[1] - X[0])) * SIZE, sy = (y) => ((Y[1] - y) / (Y[1] - Y[0])) * SIZE;

function request(extra = {}) {
  return { count: Number($("count").value), seed: S.seed, m: Number($("m").value),
    b: Number($("b").value), lr: Number($("lr").value), ...extra };
}

function drawPlot(d) {
  const ctx = sharp($("plot"), SIZE, SIZE);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, SIZE, SIZE);
  ctx.strokeStyle = "#ddd";
  for (let t = -5; t <= 6; t++) {
    ctx.beginPath(); ctx.moveTo(sx(t), 0); ctx.lineTo(sx(t), SIZE); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(0, sy(t)); ctx.lineTo(SIZE, sy(t)); ctx.stroke();
  }
  ctx.strokeStyle = "#888"; ctx.beginPath(); ctx.moveTo(sx(0), 0); ctx.lineTo(sx(0), SIZE);
  ctx.moveTo(0, sy(0)); ctx.lineTo(SIZE, sy(0)); ctx.stroke();
  d.x.forEach((x, k) => {  // the squared error as a square on the residual
    const yhat = d.m * x + d.b, side = sx(Math.abs(yhat - d.y[k])) - sx(0);
    ctx.fillStyle = "rgba(179, 89, 0, 0.18)"; ctx.strokeStyle = "#b35900";
    const top = Math.min(sy(yhat), sy(d.y[k]));
    ctx.fillRect(sx(x), top, side, side); ctx.strokeRect(sx(x), top, side, side);
  });
  const line = (m, b, color, dash) => {
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(dash);
    ctx.beginPath(); ctx.moveTo(sx(X[0]), sy(m * X[0] + b)); ctx.lineTo(sx(X[1]), sy(m * X[1] + b));
    ctx.stroke(); ctx.setLineDash([]); ctx.lineWidth = 1;
  };
  if ($("best").checked) line(d.best.m, d.best.b, "#2a7d2a", [6, 4]);
  line(d.m, d.b, "#0769a8", []);
  ctx.fillStyle = "#1f1f1f";
  d.x.forEach((x, k) => { ctx.beginPath(); ctx.arc(sx(x), sy(d.y[k]), 4, 0, 7); ctx.fill(); });
}

function drawContour(d, path = []) {
  const { span, size, values } = d.contour, ctx = sharp($("contour"), SIZE, SIZE);
  const logs = values.map((v) => Math.log(v + 1e-9)), lo = Math.min(...logs), hi = Math.max(...logs);
  const cell = SIZE / size;
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) {
    const t = (logs[r * size + c] - lo) / (hi - lo), shade = Math.round(40 + 215 * t);
    ctx.fillStyle = `rgb(${shade}, ${shade}, 255)`;
    ctx.fillRect(c * cell, r * cell, cell + 0.5, cell + 0.5);
  }
  const px = (m) => ((m + span) / (2 * span)) * SIZE, py = (b) => ((span - b) / (2 * span)) * SIZE;
  ctx.fillStyle = "#1f1f1f"; ctx.font = "12px system-ui";
  ctx.fillText("m →", SIZE - 34, SIZE - 6); ctx.fillText("b ↑", 4, 14);
  if (path.length) {
    ctx.strokeStyle = "#b35900"; ctx.lineWidth = 2; ctx.beginPath();
    path.forEach(([m, b], k) => (k ? ctx.lineTo(px(m), py(b)) : ctx.moveTo(px(m), py(b))));
    ctx.stroke(); ctx.lineWidth = 1;
  }
  ctx.fillStyle = "#b35900"; ctx.beginPath(); ctx.arc(px(d.m), py(d.b), 5, 0, 7); ctx.fill();
  ctx.strokeStyle = "#2a7d2a"; ctx.strokeRect(px(d.best.m) - 4, py(d.best.b) - 4, 8, 8);
}

function show(d, path = []) {
  S.data = d;
  $("m-out").textContent = fmt(d.m); $("b-out").textContent = fmt(d.b);
  $("total").textContent = fmt(d.total); $("mse").textContent = fmt(d.mse);
  $("best-info").textContent = $("best").checked ? `best fit: m = ${fmt(d.best.m)}, b = ${fmt(d.best.b)}` : "";
  drawPlot(d); drawContour(d, path);
}

async function update() {
  if (S.animating) return;
  show(await api("line", request({ steps: 0 })));
  lesson.ready = true;
}

async function descend() {
  if (S.animating) return;
  const steps = Number($("steps").value), d = await api("line", request({ steps }));
  const path = d.path, start = [d.m, d.b];
  S.animating = true; lesson.ready = false;
  for (let k = 0; k < path.length; k++) {
    const [m, b, loss] = path[k];
    $("descent-info").textContent = `step ${k}: m = ${fmt(m)}, b = ${fmt(b)}, L = ${fmt(loss)}`;
    drawContour({ ...d, m: Math.max(-9, Math.min(9, m)), b: Math.max(-9, Math.min(9, b)) }, path.slice(0, k + 1));
    await new Promise((done) => setTimeout(done, 30));
  }
  S.animating = false;
  const [m, b, loss] = path.at(-1), diverged = !(Math.abs(m) <= 5 && Math.abs(b) <= 5 && loss < 1e6);
  if (diverged) {
    $("descent-info").textContent = `diverged after ${path.length - 1} steps (L = ${fmt(loss)}): the learning rate is too large. Back to the start.`;
    [$("m").value, $("b").value] = start;
  } else {
    $("m").value = m; $("b").value = b;
    $("descent-info").textContent = `after ${path.length - 1} steps: m = ${fmt(m)}, b = ${fmt(b)}, L = ${fmt(loss)}`;
  }
  lesson.path = path;
  show(await api("line", request({ steps: 0, m: diverged ? start[0] : m, b: diverged ? start[1] : b })), path);
  lesson.ready = true;
}

$("m").addEventListener("input", update);
$("b").addEventListener("input", update);
$("count").addEventListener("change", update);
$("best").addEventListener("change", () => show(S.data));
$("randomize").addEventListener("click", () => { S.seed += 1; update(); });
$("descend").addEventListener("click", descend);
update();
