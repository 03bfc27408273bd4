// Matrix stepper: glassnet tensors compute A·B (and every term aᵢₖ·bₖⱼ), k·A, A + B, Aᵀ on
// the server; the page steps through the dot products and highlights what is multiplied.
import { $, api, fmt, lesson, menu } from "/static/lessons/common.js";

menu("matrix");
const M = { a: [[1, 2, 3], [4, 5, 6]], b: [[7, 8], [9, 10], [11, 12]], reply: null, step: -1 };

function resize(matrix, rows, cols, seed) {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => matrix[i]?.[j] ?? ((i * cols + j + seed) % 9) + 1));
}

function table(matrix, name, editable, mark = () => "") {
  const rows = matrix.map((row, i) => "<tr>" + row.map((v, j) => {
    const cell = editable
      ? `<input type="number" step="any" aria-label="${name}[${i + 1},${j + 1}]" data-m="${name}" data-i="${i}" data-j="${j}" value="${v}">`
      : fmt(v);
    return `<td class="${mark(i, j)}" data-cell="${name}-${i}-${j}">${cell}</td>`;
  }).join("") + "</tr>").join("");
  return `<table class="matrix">${rows}</table>`;
}

function render() {
  const op = $("op").value, r = M.reply, s = M.step;
  const cols = M.b[0].length, i = Math.floor(s / cols), j = s % cols;
  const stepping = op === "matmul" && s >= 0;
  $("a").innerHTML = table(M.a, "a", true, (ri) => (stepping && ri === i ? "hot" : ""));
  $("b").innerHTML = table(M.b, "b", true, (_, cj) => (stepping && cj === j ? "hot" : ""));
  $("b-panel").hidden = op === "scalar" || op === "transpose";
  $("k-box").hidden = op !== "scalar";
  $("result-title").textContent = { matmul: "A · B", scalar: "k · A", add: "A + B", transpose: "Aᵀ" }[op];
  if (!r) return;
  const shownUpTo = op === "matmul" ? s : Infinity;
  const result = r.result.map((row, ri) => row.map((v, cj) => (ri * cols + cj <= shownUpTo ? v : null)));
  $("result").innerHTML = table(result, "c", false, (ri, cj) =>
    (stepping && ri === i && cj === j ? "hot" : result[ri][cj] !== null ? "done" : ""));
  for (const input of document.querySelectorAll("input[data-m]")) {
    input.addEventListener("change", () => {
      const value = Number(input.value);
      if (!Number.isFinite(value)) return;
      M[input.dataset.m][input.dataset.i][input.dataset.j] = value;
      compute();
    });
  }
  $("step-text").textContent = explain(op, r, i, j, s);
}

function explain(op, r, i, j, s) {
  if (op === "matmul") {
    if (s < 0) return "Press Step for the first dot product.";
    const terms = r.terms[i][j];
    const written = M.a[i].map((v, k) => `${fmt(v)}·${fmt(M.b[k][j])}`).join(" + ");
    return `c[${i + 1},${j + 1}] = row ${i + 1} of A · column ${j + 1} of B\n= ${written}\n= ${terms.map(fmt).join(" + ")}\n= ${fmt(r.result[i][j])}`;
  }
  if (op === "scalar") return `every entry times k = ${fmt(r.k)}: e.g. c[1,1] = ${fmt(r.k)}·${fmt(M.a[0][0])} = ${fmt(r.result[0][0])}`;
  if (op === "add") return `entry by entry: e.g. c[1,1] = ${fmt(M.a[0][0])} + ${fmt(M.b[0][0])} = ${fmt(r.result[0][0])}`;
  return "rows become columns: (Aᵀ)[j,i] = A[i,j]";
}

async function compute() {
  const op = $("op").value, request = { op, a: M.a, b: M.b, k: Number($("k").value) };
  if (op !== "matmul") delete request.b;
  M.reply = await api("matrix", request);
  M.step = op === "matmul" ? Math.min(M.step, M.a.length * M.b[0].length - 1) : -1;
  render();
  lesson.ready = true;
}

function shape() {
  const clamp = (id) => Math.max(1, Math.min(4, Math.round(Number($(id).value)) || 1));
  const rows = clamp("a-rows"), inner = clamp("a-cols"), cols = clamp("b-cols");
  const addLike = ["add"].includes($("op").value);
  M.a = resize(M.a, rows, inner, 0);
  M.b = addLike ? resize(M.b, rows, inner, 3) : resize(M.b, inner, cols, 3);
  M.step = -1;
  compute();
}

$("step").addEventListener("click", () => {
  const last = M.a.length * M.b[0].length - 1;
  M.step = M.step >= last ? 0 : M.step + 1;
  render();
});
$("all").addEventListener("click", () => { M.step = M.a.length * M.b[0].length - 1; render(); });
$("restart").addEventListener("click", () => { M.step = -1; render(); });
for (const id of ["a-rows", "a-cols", "b-cols", "op"]) $(id).addEventListener("change", shape);
$("k").addEventListener("change", compute);
compute();
