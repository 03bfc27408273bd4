// Backpropagation view: each iteration is one request; glassnet's autograd returns the
// deltas and slopes and its SGD the new weights. The page walks through the phases.
import { $, api, fmt, lesson, lineChart, menu } from "/static/lessons/common.js";

menu("backprop");
const PHASES = ["forward", "output", "hidden", "update"];
const TEXT = {
  forward: "Forward: z₁ = X·W₁, a₁ = σ(z₁); z₂ = a₁·W₂, ŷ = σ(z₂); L = ½ Σ (ŷ − y)².",
  output: "Output layer: δ₂ = ∂L/∂z₂ = (ŷ − y) · σ′(z₂) = (ŷ − y)·ŷ(1 − ŷ); ∂L/∂W₂ = a₁ᵀ·δ₂.",
  hidden: "Hidden layer: δ₁ = (δ₂·W₂ᵀ) ⊙ σ′(z₁) = (δ₂·W₂ᵀ) ⊙ a₁(1 − a₁); ∂L/∂W₁ = Xᵀ·δ₁.",
  update: "Update: W ← W − η·∂L/∂W for both layers.",
};
const B = { detail: null, phase: -1, errors: [], weights: null, playing: false, timer: null, iteration: 0 };

const table = (m) => `<table class="matrix">${m.map((row) => `<tr>${row.map((v) => `<td>${fmt(v)}</td>`).join("")}</tr>`).join("")}</table>`;

function diagram(w1, w2) {
  const xs = [50, 210, 370], inY = [60, 130, 200], hidY = [40, 100, 160, 220];
  const edge = (x1, y1, x2, y2, w) => `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${w >= 0 ? "#0769a8" : "#b35900"}" stroke-width="${Math.min(7, 0.5 + Math.abs(w))}"/>`;
  let svg = "";
  inY.forEach((y, i) => hidY.forEach((h, j) => { svg += edge(xs[0], y, xs[1], h, w1[i][j]); }));
  hidY.forEach((h, j) => { svg += edge(xs[1], h, xs[2], 130, w2[j][0]); });
  const node = (x, y, label) => `<circle cx="${x}" cy="${y}" r="16" fill="#fff" stroke="#333" stroke-width="2"/><text x="${x}" y="${y + 5}" text-anchor="middle" font-size="13">${label}</text>`;
  inY.forEach((y, i) => { svg += node(xs[0], y, `x${i + 1}`); });
  hidY.forEach((y, j) => { svg += node(xs[1], y, `h${j + 1}`); });
  svg += node(xs[2], 130, "ŷ");
  $("diagram").innerHTML = svg;
}

function render() {
  const d = B.detail;
  if (!d) return;
  const phase = PHASES[Math.max(0, B.phase)];
  $("phase").textContent = phase; $("iteration").textContent = String(B.iteration);
  $("loss").textContent = fmt(d.loss);
  $("phase-text").textContent = TEXT[phase];
  $("a2").innerHTML = table(d.a2); $("delta2").innerHTML = table(d.delta2); $("grad2").innerHTML = table(d.grad_w2);
  $("delta1").innerHTML = table(d.delta1); $("grad1").innerHTML = table(d.grad_w1);
  $("w1").innerHTML = table(d.new_w1); $("w2").innerHTML = table(d.new_w2);
  const order = PHASES.indexOf(phase);
  for (const box of document.querySelectorAll("[data-phase]")) {
    const k = PHASES.indexOf(box.dataset.phase);
    box.style.opacity = k <= order ? 1 : 0.25;
    box.style.outline = k === order ? "2px solid #f0a500" : "none";
  }
  diagram(phase === "update" ? d.new_w1 : d.w1, phase === "update" ? d.new_w2 : d.w2);
  lineChart($("curve"), [{ values: B.errors, color: "#0769a8" }], { width: 400, height: 160, log: true });
}

async function iterate(iterations) {
  const request = { lr: Number($("lr").value), iterations };
  if (B.weights) Object.assign(request, B.weights);
  const d = await api("backprop", request);
  B.detail = d; B.errors.push(...d.errors); B.iteration += iterations;
  B.weights = { w1: d.new_w1, w2: d.new_w2 };
}

async function step() {
  if (B.phase === PHASES.length - 1 || B.phase < 0) {
    if (B.phase >= 0 || !B.detail) await iterate(1);
    B.phase = 0;
  } else B.phase += 1;
  render();
}

async function tick() {
  if (!B.playing) return;
  if ($("fast").checked) { await iterate(50); B.phase = 3; render(); } else await step();
  B.timer = setTimeout(tick, $("fast").checked ? 60 : 500);
}

$("play").addEventListener("click", () => {
  B.playing = !B.playing;
  $("play").textContent = B.playing ? "❚❚ Pause" : "▶ Play";
  lesson.playing = B.playing;
  if (B.playing) tick(); else clearTimeout(B.timer);
});
$("step").addEventListener("click", step);
$("reset").addEventListener("click", async () => {
  Object.assign(B, { detail: null, phase: -1, errors: [], weights: null, iteration: 0 });
  await step();
});
step().then(() => { lesson.ready = true; });
