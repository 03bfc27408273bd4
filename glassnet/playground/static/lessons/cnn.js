// CNN explainer: the server runs the image model layer by layer (glassnet forward) and
// explains one pixel's convolution; this page draws, sends the 784 pixels, and shows maps.
import { $, api, fmt, lesson, menu, paintMap, sharp } from "/static/lessons/common.js";

menu("cnn");
const SIDE = 28, SCALE = 10;
const C = { pixels: new Float64Array(SIDE * SIDE), source: { test_index: 0 }, drawing: false, view: null };
lesson.cnn = C;

function paintPad() {
  const ctx = sharp($("draw"), SIDE * SCALE, SIDE * SCALE);
  for (let k = 0; k < SIDE * SIDE; k++) {
    const v = Math.round(255 * (1 - C.pixels[k]));
    ctx.fillStyle = `rgb(${v},${v},${v})`;
    ctx.fillRect((k % SIDE) * SCALE, Math.floor(k / SIDE) * SCALE, SCALE, SCALE);
  }
}

function brush(event) {
  const box = $("draw").getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * SIDE, y = ((event.clientY - box.top) / box.height) * SIDE;
  for (let r = Math.floor(y) - 1; r <= Math.floor(y) + 1; r++) for (let c = Math.floor(x) - 1; c <= Math.floor(x) + 1; c++) {
    if (r < 0 || c < 0 || r >= SIDE || c >= SIDE) continue;
    const d = Math.hypot(r + 0.5 - y, c + 0.5 - x), k = r * SIDE + c;
    C.pixels[k] = Math.min(1, Math.max(C.pixels[k], 1.25 - d * 0.75));
  }
  paintPad();
}

function request(extra = {}) {
  return { model: $("model").value, ...C.source, ...extra };
}

function layers(view) {
  $("layers").innerHTML = view.layers.filter((l) => l.maps).map((l) =>
    `<div class="panel" style="margin-top:10px"><b>${l.index}: ${l.name}</b> <span class="lead">${l.shape.join(" × ")}</span>
     <div class="maps">${l.maps.map((_, c) => `<canvas data-layer="${l.index}" data-channel="${c}" tabindex="0" aria-label="layer ${l.index} channel ${c}"></canvas>`).join("")}</div></div>`).join("");
  for (const l of view.layers.filter((e) => e.maps)) {
    l.maps.forEach(([text], c) => paintMap(document.querySelector(`canvas[data-layer="${l.index}"][data-channel="${c}"]`), text, l.shape[1]));
  }
  for (const canvas of $("layers").querySelectorAll("canvas")) {
    canvas.addEventListener("click", (event) => {
      const box = canvas.getBoundingClientRect(), side = canvas.width;  // inside the border:
      const y = (event.clientY - box.top - canvas.clientTop) / canvas.clientHeight;
      const x = (event.clientX - box.left - canvas.clientLeft) / canvas.clientWidth;
      const i = Math.max(0, Math.min(side - 1, Math.floor(y * side)));
      const j = Math.max(0, Math.min(side - 1, Math.floor(x * side)));
      explainPixel(Number(canvas.dataset.layer), Number(canvas.dataset.channel), i, j);
    });
    canvas.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      const side = canvas.width;
      explainPixel(Number(canvas.dataset.layer), Number(canvas.dataset.channel), side >> 1, side >> 1);
    });
  }
}

function probabilities(view) {
  $("prediction").textContent = String(view.prediction);
  $("label").textContent = view.label === null ? "" : `(test label ${view.label})`;
  $("probabilities").innerHTML = view.probabilities.map((p, k) =>
    `<div><span style="width:1.2em">${k}</span><i style="width:${Math.round(p * 150)}px"></i><span class="num" data-class="${k}">${fmt(p)}</span></div>`).join("");
}

async function run() {
  const view = await api("cnn", request());
  C.view = view;
  probabilities(view); layers(view);
  if (C.source.test_index !== undefined) {
    const raw = atob(view.image);
    for (let k = 0; k < SIDE * SIDE; k++) C.pixels[k] = raw.charCodeAt(k) / 255;
    paintPad();
  }
  lesson.ready = true;
}

const grid = (m) => `<table class="matrix">${m.map((row) => `<tr>${row.map((v) => `<td>${fmt(v)}</td>`).join("")}</tr>`).join("")}</table>`;

async function explainPixel(layer, channel, i, j) {
  lesson.ready = false;
  const d = await api("cnn-pixel", request({ layer, channel, i, j }));
  const sums = d.products.map((p) => p.flat().reduce((a, b) => a + b, 0));
  const top = sums.reduce((best, s, k) => (Math.abs(s) > Math.abs(sums[best]) ? k : best), 0);
  let html = `<p>${d.name}, channel ${d.channel}, pixel (${d.i}, ${d.j}): y = Σ patch ⊙ kernel + b</p>`;
  html += `<p>input channel ${top} (of ${sums.length}; the largest share):</p><div class="row">` +
    `<div><b>patch</b>${grid(d.patch[top])}</div><div><b>kernel</b>${grid(d.kernel[top])}</div>` +
    `<div><b>products</b>${grid(d.products[top])}</div></div>`;
  html += `<p class="formula" id="conv-sum">Σ over ${sums.length} input channel(s) = ${fmt(d.sum)}; + b ${fmt(d.bias)} = <b>${fmt(d.total)}</b> (glassnet's Conv2D output: ${fmt(d.output)})</p>`;
  html += d.after.map((a) => a.kind === "pool"
    ? `<p>${a.name}: max of the window ${grid(a.window)} = <b class="num" data-after="pool">${fmt(a.value)}</b> at (${a.i}, ${a.j})</p>`
    : `<p>then ${a.name}: <b class="num" data-after="${a.kind}">${fmt(a.value)}</b></p>`).join("");
  $("pixel").innerHTML = html;
  lesson.pixel = d;
  lesson.ready = true;
}

$("draw").addEventListener("pointerdown", (e) => {
  C.drawing = true; $("draw").setPointerCapture(e.pointerId);
  if (C.source.test_index !== undefined) { C.pixels.fill(0); }
  brush(e);
});
$("draw").addEventListener("pointermove", (e) => { if (C.drawing) brush(e); });
$("draw").addEventListener("pointerup", () => {
  C.drawing = false;
  C.source = { pixels: Array.from(C.pixels, (v) => Number(v.toFixed(3))) };
  run();
});
$("clear").addEventListener("click", () => { C.pixels.fill(0); paintPad(); });
$("load").addEventListener("click", () => { C.source = { test_index: Number($("test-index").value) }; run(); });
$("model").addEventListener("change", run);
$("upload").addEventListener("change", async () => {
  const file = $("upload").files[0];
  if (!file) return;
  const reply = await (await fetch("/api/lesson/cnn-model", { method: "POST", body: await file.arrayBuffer() })).json();
  if (reply.error) { $("error").textContent = reply.error; $("error").hidden = false; return; }
  $("model").insertAdjacentHTML("beforeend", `<option value="${reply.model}">${file.name}</option>`);
  $("model").value = reply.model;
  run();
});
paintPad();
run();
