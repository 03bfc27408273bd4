// Shared by the lesson pages: the menu, the JSON API, number formatting, sharp canvases.
// Every number a lesson shows comes from the server (glassnet); this file only fetches and draws.

export const VIEWS = [
  ["forward", "Forward pass"], ["line", "Line fitter"], ["matrix", "Matrix stepper"],
  ["backprop", "Backpropagation"], ["race", "Gradient-descent race"], ["cnn", "CNN explainer"],
];
export const $ = (id) => document.getElementById(id);

export const lesson = { ready: false, last: null, requests: 0, error: null };
window.lesson = lesson;

export function menu(current) {
  const nav = document.createElement("nav");
  nav.setAttribute("aria-label", "Lessons");
  const home = `<a href="/">playground</a>`;
  nav.innerHTML = home + VIEWS.map(([id, title]) =>
    `<a href="/lessons/${id}"${id === current ? ' aria-current="page"' : ""}>${title}</a>`).join("");
  document.body.prepend(nav);
}

// POST a request to /api/lesson/<view>; the reply's numbers were computed by glassnet.
export async function api(view, request) {
  const reply = await fetch(`/api/lesson/${view}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request),
  });
  const data = await reply.json();
  lesson.requests += 1;
  const box = $("error");
  if (data.error) {
    lesson.error = data.error;
    if (box) { box.textContent = data.error; box.hidden = false; }
    throw new Error(data.error);
  }
  lesson.error = null;
  if (box) box.hidden = true;
  lesson.last = data;
  return data;
}

// A number as the page prints it: up to 4 significant decimals, no trailing zeros.
export function fmt(value) {
  if (value === null || value === undefined) return "–";
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1e5 || (Math.abs(value) < 1e-3 && value !== 0)) return value.toExponential(3);
  return String(Number(value.toFixed(4)));
}

// Size a canvas's pixel buffer to its CSS size × devicePixelRatio; returns a context in CSS px.
export function sharp(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

// Decode the server's base64 bytes (v ∈ [−1, 1] as round((v + 1)·127.5)).
export function bytes(text) {
  const raw = atob(text), out = new Uint8Array(raw.length);
  for (let k = 0; k < raw.length; k++) out[k] = raw.charCodeAt(k);
  return out;
}

// Paint a side × side byte map into a canvas: orange below 0, white at 0, blue above.
export function paintMap(canvas, text, side) {
  const data = bytes(text);
  canvas.width = side; canvas.height = side;
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(side, side);
  for (let k = 0; k < side * side; k++) {
    const v = data[k] / 127.5 - 1, t = Math.abs(v);
    const [r, g, b] = v >= 0 ? [8, 119, 189] : [245, 147, 34];
    image.data.set([255 + (r - 255) * t, 255 + (g - 255) * t, 255 + (b - 255) * t, 255], 4 * k);
  }
  ctx.putImageData(image, 0, 0);
}

// A simple line chart: series = [{values, color, label}], optional log scale on y.
export function lineChart(canvas, series, { width = 420, height = 200, log = false } = {}) {
  const ctx = sharp(canvas, width, height);
  const pad = { left: 46, right: 8, top: 8, bottom: 22 };
  const all = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v) && (!log || v > 0)));
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, width, height);
  if (!all.length) return;
  const f = log ? Math.log10 : (v) => v;
  let lo = f(Math.min(...all)), hi = f(Math.max(...all));
  if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const px = (k) => pad.left + (k / (n - 1)) * (width - pad.left - pad.right);
  const py = (v) => pad.top + (1 - (f(v) - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = "#bbb"; ctx.fillStyle = "#444"; ctx.font = "11px system-ui";
  for (let t = 0; t <= 4; t++) {
    const value = lo + (t / 4) * (hi - lo), y = py(log ? 10 ** value : value);
    ctx.beginPath(); ctx.moveTo(pad.left - 4, y); ctx.lineTo(width - pad.right, y); ctx.stroke();
    ctx.fillText(fmt(log ? 10 ** value : value), 2, y + 4);
  }
  ctx.fillText("0", pad.left, height - 6);
  ctx.fillText(String(n - 1), width - pad.right - 24, height - 6);
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.beginPath();
    let started = false;
    s.values.forEach((v, k) => {
      if (!Number.isFinite(v) || (log && v <= 0)) { started = false; return; }
      if (started) ctx.lineTo(px(k), py(v)); else ctx.moveTo(px(k), py(v));
      started = true;
    });
    ctx.stroke(); ctx.lineWidth = 1;
  }
}
