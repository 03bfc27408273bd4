// Gradient-descent race: the server's five glassnet optimizers each make one update per
// round and report their full-data loss; the page asks for the next round as soon as the
// last one is drawn, and overlays the curves.
import { $, api, fmt, lesson, lineChart, menu } from "/static/lessons/common.js";

menu("race");
const COLORS = { GD: "#1f1f1f", SGD: "#b35900", "mini-batch": "#2a7d2a", momentum: "#8e3bb0", Adam: "#0769a8" };
const R = { token: null, curves: {}, playing: false, times: [], updates: 0 };
lesson.race = R;

const lr = () => Number((10 ** Number($("lr").value)).toPrecision(3));

function legend(names) {
  $("runners").innerHTML = names.map((n) =>
    `<label style="color:${COLORS[n]}"><input type="checkbox" data-runner="${n}" checked> ${n}
      <span class="num" data-loss="${n}">–</span></label>`).join("");
  for (const box of $("runners").querySelectorAll("input")) box.addEventListener("change", draw);
}

function draw() {
  const shown = [...$("runners").querySelectorAll("input:checked")].map((b) => b.dataset.runner);
  lineChart($("chart"), shown.map((n) => ({ values: R.curves[n], color: COLORS[n] })),
    { width: Math.min(720, document.body.clientWidth - 60), height: 300, log: true });
  for (const [n, values] of Object.entries(R.curves)) {
    const last = values.at(-1);
    document.querySelector(`[data-loss="${n}"]`).textContent = last === null ? "diverged" : fmt(last);
  }
  $("updates").textContent = String(R.updates);
}

async function start() {
  const d = await api("race", { lr: lr() });
  R.token = d.token; R.updates = 0; R.times = [];
  R.curves = Object.fromEntries(d.runners.map((n) => [n, [d.start]]));
  legend(d.runners); draw();
}

async function loop() {
  while (R.playing) {
    const d = await api("race", { token: R.token, lr: lr(), rounds: 1 });
    for (const [n, values] of Object.entries(d.losses)) R.curves[n].push(...values);
    R.updates = d.updates;
    const now = performance.now();
    R.times.push(now);
    R.times = R.times.filter((t) => now - t < 2000);
    if (R.times.length > 1) $("rate").textContent = ((R.times.length - 1) / ((now - R.times[0]) / 1000)).toFixed(1);
    draw();
    await new Promise((done) => requestAnimationFrame(done));
  }
  lesson.playing = false;
}

$("play").addEventListener("click", () => {
  R.playing = !R.playing;
  $("play").textContent = R.playing ? "❚❚ Pause" : "▶ Race";
  if (R.playing) { lesson.playing = true; loop(); }
});
$("reset").addEventListener("click", async () => { R.playing = false; $("play").textContent = "▶ Race"; await start(); });
$("lr").addEventListener("input", () => { $("lr-out").textContent = String(lr()); });
$("lr-out").textContent = String(lr());
start().then(() => { lesson.ready = true; });
