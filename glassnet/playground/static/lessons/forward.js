// Forward pass view: the server (glassnet layers) computes every z and a; this draws them
// and explains each part on hover, tap or keyboard focus.
import { $, api, fmt as plain, lesson, menu } from "/static/lessons/common.js";

menu("forward");
const F = { identity: "z", relu: "max(0, z)", tanh: "tanh(z)", sigmoid: "1 / (1 + e^(−z))" };
const state = {
  x: [2, 3], w_hidden: [[1, -1], [1, 1]], w_output: [[2], [-1]], b_hidden: [0, 0], b_output: [0],
  activation: "identity",
};
let shownPart = null;
const fmt = (v) => (v < 0 ? `(${plain(v)})` : plain(v));  // −1 reads as (−1) inside a product
const IN = [[60, 90], [60, 210]], HID = [[260, 90], [260, 210]], OUT = [460, 150];

function fields() {
  const cell = (name, path, value) =>
    `<label>${name} <input type="number" step="any" data-path="${path}" value="${value}"></label>`;
  let html = cell("x₁ children", "x.0", state.x[0]) + cell("x₂ accounts", "x.1", state.x[1]) + "<br>";
  for (let j = 0; j < 2; j++) {
    for (let i = 0; i < 2; i++) html += cell(`w${i + 1}→h${j + 1}`, `w_hidden.${i}.${j}`, state.w_hidden[i][j]);
    html += cell(`b h${j + 1}`, `b_hidden.${j}`, state.b_hidden[j]) + "<br>";
  }
  for (let j = 0; j < 2; j++) html += cell(`h${j + 1}→ŷ`, `w_output.${j}.0`, state.w_output[j][0]);
  html += cell("b ŷ", "b_output.0", state.b_output[0]);
  $("edits").innerHTML = html;
  for (const input of $("edits").querySelectorAll("input")) {
    input.addEventListener("change", () => {
      const value = Number(input.value);
      if (!Number.isFinite(value)) return;
      const keys = input.dataset.path.split(".");
      let target = state;
      for (const k of keys.slice(0, -1)) target = target[k];
      target[keys.at(-1)] = value;
      update();
    });
  }
}

function explanations(r) {
  const f = r.activation, parts = {};
  r.x.forEach((v, i) => { parts[`x${i}`] = [`input x${i + 1} = ${fmt(v)}`, "an input is given, not computed"]; });
  for (let j = 0; j < 2; j++) {
    const terms = r.x.map((v, i) => `${fmt(v)}·${fmt(r.w_hidden[i][j])}`).join(" + ");
    parts[`h${j}`] = [`hidden node h${j + 1}: z = ${fmt(r.z_hidden[j])}, a = ${fmt(r.a_hidden[j])}`,
      `z = Σ xᵢwᵢ + b = ${terms} + ${fmt(r.b_hidden[j])} = ${fmt(r.z_hidden[j])}\n` +
      `a = f(z) = ${F[f].replace("z", fmt(r.z_hidden[j]))} = ${fmt(r.a_hidden[j])}   (f = ${f})`];
    for (let i = 0; i < 2; i++) {
      parts[`w${i}${j}`] = [`weight x${i + 1} → h${j + 1} = ${fmt(r.w_hidden[i][j])}`,
        `contributes x${i + 1}·w = ${fmt(r.x[i])}·${fmt(r.w_hidden[i][j])} = ${fmt(r.x[i] * r.w_hidden[i][j])} to z of h${j + 1}\n(glassnet: 0.w[${i}, ${j}])`];
    }
    parts[`v${j}`] = [`weight h${j + 1} → ŷ = ${fmt(r.w_output[j][0])}`,
      `contributes a·w = ${fmt(r.a_hidden[j])}·${fmt(r.w_output[j][0])} = ${fmt(r.a_hidden[j] * r.w_output[j][0])} to ŷ\n(glassnet: 2.w[${j}, 0])`];
  }
  const terms = r.a_hidden.map((a, j) => `${fmt(a)}·${fmt(r.w_output[j][0])}`).join(" + ");
  parts.out = [`output ŷ = ${fmt(r.output[0])}`,
    `ŷ = Σ aⱼwⱼ + b = ${terms} + ${fmt(r.b_output[0])} = ${fmt(r.output[0])}   (no activation on the output)`];
  return parts;
}

function draw(r) {
  const parts = explanations(r);
  const edge = (a, b, id, w) => {
    const t = b === OUT ? 0.5 : 0.3, [mx, my] = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    const color = w >= 0 ? "#0769a8" : "#b35900";
    return `<line x1="${a[0]}" y1="${a[1]}" x2="${b[0]}" y2="${b[1]}" stroke="${color}" stroke-width="${1 + Math.min(6, Math.abs(w) * 1.5)}"/>` +
      `<g class="part" tabindex="0" data-part="${id}" role="button" aria-label="${parts[id][0]}"><rect x="${mx - 20}" y="${my - 13}" width="40" height="24" rx="4" fill="#fff" stroke="${color}"/>` +
      `<text x="${mx}" y="${my + 5}" text-anchor="middle" font-size="14">${fmt(w)}</text></g>`;
  };
  const node = (p, id, label, value) =>
    `<g class="part" tabindex="0" data-part="${id}" role="button" aria-label="${parts[id][0]}"><circle cx="${p[0]}" cy="${p[1]}" r="30" fill="#fff" stroke="#333" stroke-width="2"/>` +
    `<text x="${p[0]}" y="${p[1] - 4}" text-anchor="middle" font-size="12" fill="#555">${label}</text>` +
    `<text x="${p[0]}" y="${p[1] + 14}" text-anchor="middle" font-size="15" font-weight="700">${fmt(value)}</text></g>`;
  let svg = "";
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) svg += edge(IN[i], HID[j], `w${i}${j}`, r.w_hidden[i][j]);
  for (let j = 0; j < 2; j++) svg += edge(HID[j], OUT, `v${j}`, r.w_output[j][0]);
  svg += node(IN[0], "x0", "x₁", r.x[0]) + node(IN[1], "x1", "x₂", r.x[1]);
  svg += node(HID[0], "h0", "h₁", r.a_hidden[0]) + node(HID[1], "h1", "h₂", r.a_hidden[1]);
  svg += node(OUT, "out", "ŷ", r.output[0]);
  $("diagram").innerHTML = svg;
  const showPart = (id) => {
    shownPart = id;
    const [head, body] = parts[id];
    $("explain").textContent = `${head}\n${body}`;
  };
  if (shownPart) showPart(shownPart);  // new numbers: the open explanation follows them
  for (const g of $("diagram").querySelectorAll(".part")) {
    const show = () => showPart(g.dataset.part);
    g.addEventListener("mouseenter", show);
    g.addEventListener("focus", show);
    g.addEventListener("click", show);
  }
}

async function update() {
  state.activation = $("activation").value;
  draw(await api("forward", state));
  lesson.ready = true;
}

$("activation").addEventListener("change", update);
fields();
update();
