// The playground page: settings ↔ URL, the WebSocket to the glassnet server, and the views.
// The server does all the math; this file only sends validated-on-arrival requests and draws
// what comes back. window.playground exposes the live state (handy in the console and tests).

import { drawChart, drawPlane, paintGrey, paintUnit } from "./draw.js";
import { explainer } from "./explain.js";
import { buildNetwork } from "./network.js";
import {
  CHOICES, FEATURE_LABELS, FEATURES, MAX_LAYERS, MAX_NEURONS, NUMBERS, PLANE, carryOver, inRange,
  readUrl, writeSettings,
} from "./settings.js";

const MAX_CURVE = 2000;
const $ = (id) => document.getElementById(id);

const app = {
  settings: readUrl(), topology: null, state: null, curves: newCurves(), sample: 0, point: null,
  explain: null, pinned: false, lastExplain: 0, updates: 0, received: 0, frame: 0, doctor: null, times: [], renderMs: 0, socket: null,
  session: null, upload: null, network: null, playing: false, toPlane: null, connected: false,
  reconnects: 0,
};
window.playground = app;
const explain = explainer(app, send);

function newCurves() {
  return { train_loss: [], test_loss: [], train_accuracy: [], test_accuracy: [] };
}

// ---- settings and the URL (rules in settings.js) ------------------------------------------
const writeUrl = () => writeSettings(app.settings);

function serverSettings() {
  const s = structuredClone(app.settings);
  if (s.dataset === "csv") s.upload = app.upload;
  else delete s.target;
  return s;
}

function configure() {
  writeUrl();
  syncControls();
  if (app.settings.dataset === "csv" && !app.upload) {
    $("csv-info").textContent = "Choose a CSV file with a header row; then pick the column to predict.";
    return;
  }
  send({ type: "configure", settings: serverSettings() });
}

// ---- the socket ------------------------------------------------------------------------
// A lost connection keeps its notice up, shows Play as stopped, and retries every second;
// once back, the settings (from the URL) are sent again, so the page picks up where it was.
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  app.socket = socket;
  socket.onmessage = (event) => receive(JSON.parse(event.data));
  socket.onopen = () => { app.connected = true; $("disconnected").hidden = true; };
  socket.onclose = () => {
    if (app.socket !== socket) return;
    app.connected = false;
    setPlaying(false);
    $("disconnected").hidden = false;
    app.reconnects += 1;
    setTimeout(connect, 1000);
  };
}

function send(message) {
  if (app.socket && app.socket.readyState === WebSocket.OPEN) app.socket.send(JSON.stringify(message));
}

const HANDLERS = {
  hello: (m) => { app.session = m.session; configure(); },
  ready: (m) => onReady(m),
  state: (m) => onState(m),
  playing: (m) => setPlaying(m.playing),
  lr: (m) => { $("lr").value = m.lr; },
  weight: (m) => explain.showWeight(m),
  neuron: (m) => explain.showNeuron(m),
  error: (m) => showError(m.message),
};

function receive(message) {
  const handler = HANDLERS[message.type];
  if (handler) handler(message);
}

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { box.hidden = true; }, 8000);
}

// ---- controls ------------------------------------------------------------------------------
function syncControls() {
  const s = app.settings;
  for (const key of [...NUMBERS, ...CHOICES]) $(key).value = s[key];
  $("noise-out").textContent = s.noise;
  $("test-out").textContent = `${Math.round(s.test_size * 100)}%`;
  document.querySelectorAll("#datasets button").forEach((b) => b.classList.toggle("on", b.dataset.dataset === s.dataset));
  $("csv-box").hidden = s.dataset !== "csv";
  $("classes-box").hidden = s.dataset !== "spiral";
  $("noise-box").hidden = !PLANE.includes(s.dataset);  // MNIST and CSVs have no noise knob
  $("features").hidden = !PLANE.includes(s.dataset);
  $("features").querySelectorAll("input").forEach((box) => { box.checked = s.features.includes(box.value); });
  $("layer-count").textContent = `${s.hidden.length} hidden layer${s.hidden.length === 1 ? "" : "s"}`;
}

function change(key, value) {
  if (!inRange(key, value)) {
    showError(`${key}: ${value} is out of range; expected ${$(key).min} … ${$(key).max}.`);
    $(key).value = app.settings[key];
    return;
  }
  const previous = app.settings.dataset;
  app.settings[key] = value;
  if (key === "dataset") carryOver(app.settings, previous, value);
  configure();
}

function bindControls() {
  FEATURES.forEach((f, i) => {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" value="${f}"> ${FEATURE_LABELS[i]}`;
    $("features").append(label);
  });
  $("features").addEventListener("change", () => {
    change("features", [...$("features").querySelectorAll("input:checked")].map((b) => b.value));
  });
  document.querySelectorAll("#datasets button").forEach((b) => b.addEventListener("click", () => change("dataset", b.dataset.dataset)));
  for (const key of NUMBERS.filter((k) => k !== "lr")) $(key).addEventListener("change", () => change(key, Number($(key).value)));
  for (const key of CHOICES) $(key).addEventListener("change", () => change(key, $(key).value));
  $("noise").addEventListener("input", () => { $("noise-out").textContent = $("noise").value; });
  $("test_size").addEventListener("input", () => { $("test-out").textContent = `${Math.round($("test_size").value * 100)}%`; });
  $("lr").addEventListener("change", () => {
    app.settings.lr = Number($("lr").value);
    writeUrl();
    send({ type: "set_lr", lr: app.settings.lr });
  });
  $("reseed").addEventListener("click", () => change("seed", Math.floor(Math.random() * 2 ** 31)));
  $("add-layer").addEventListener("click", () => {
    if (app.settings.hidden.length < MAX_LAYERS) change("hidden", [...app.settings.hidden, 4]);
  });
  $("remove-layer").addEventListener("click", () => change("hidden", app.settings.hidden.slice(0, -1)));
  $("play").addEventListener("click", () => send({ type: app.playing ? "pause" : "play" }));
  $("step-batch").addEventListener("click", () => send({ type: "step", unit: "batch" }));
  $("step-epoch").addEventListener("click", () => send({ type: "step", unit: "epoch" }));
  $("reset").addEventListener("click", () => { app.curves = newCurves(); send({ type: "reset" }); });
  $("export").addEventListener("click", exportAll);
  $("csv-file").addEventListener("change", uploadCsv);
  $("target").addEventListener("change", () => change("target", $("target").value));
  $("show-test").addEventListener("change", () => app.state && drawPlaneView());
  $("discretize").addEventListener("change", () => app.state && drawPlaneView());
  $("log-loss").addEventListener("change", () => app.state && drawCurves());
  $("plane").addEventListener("click", choosePoint);
  $("sample").addEventListener("change", () => {
    app.sample = Math.max(0, Math.min(app.topology.train_size - 1, Number($("sample").value) || 0));
    $("sample").value = app.sample;
    if (app.explain) explain.refresh();
  });
  $("explain-close").addEventListener("click", explain.close);
}

function setPlaying(playing) {
  app.playing = playing;
  $("play").textContent = playing ? "❚❚ Pause" : "▶ Play";
  $("play").classList.toggle("on", playing);
}

function neuronButtons(container) {
  app.settings.hidden.forEach((n, k) => {
    const box = document.createElement("div");
    box.className = "neuron-buttons";
    box.style.left = `${app.network.columnX(k + 1) - 14}px`;
    const more = document.createElement("button");
    const fewer = document.createElement("button");
    more.textContent = "+";
    fewer.textContent = "−";
    more.title = fewer.title = `neurons in hidden layer ${k + 1}`;
    const resize = (delta) => {
      const hidden = [...app.settings.hidden];
      hidden[k] = Math.min(MAX_NEURONS, Math.max(1, n + delta));
      change("hidden", hidden);
    };
    more.addEventListener("click", () => resize(1));
    fewer.addEventListener("click", () => resize(-1));
    box.append(more, fewer);
    container.append(box);
  });
}

// ---- data upload and export ---------------------------------------------------------------
async function uploadCsv() {
  const file = $("csv-file").files[0];
  if (!file) return;
  const reply = await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
  const body = await reply.json();
  if (!reply.ok) { showError(body.error); return; }
  app.upload = body.token;
  app.uploadName = file.name;
  $("target").replaceChildren(...body.columns.map((c) => new Option(c, c)));
  const target = body.columns.includes(app.settings.target) ? app.settings.target : body.columns.at(-1);
  $("target").value = target;
  $("csv-info").textContent = `${file.name}: ${body.rows} rows, ${body.columns.length} columns`;
  app.settings.dataset = "csv";
  if (target === body.columns.at(-1)) {  // the server judged the last column: pick its loss
    app.settings.loss = body.classification ? "cross_entropy" : "squared_error";
  }
  change("target", target);
}

function download(url) {
  const link = document.createElement("a");
  link.href = url;
  link.download = "";
  document.body.append(link);
  link.click();
  link.remove();
}

function exportAll() {
  if (!app.session) return;
  const csv = encodeURIComponent(app.uploadName || "data.csv");
  download(`/api/export/${app.session}/script?csv=${csv}`);
  setTimeout(() => download(`/api/export/${app.session}/model`), 300);
}

// ---- views ----------------------------------------------------------------------------------
function onReady(topology) {
  app.topology = topology;
  app.settings = { ...app.settings, ...topology.settings };
  delete app.settings.upload;
  if (topology.settings.target === null) app.settings.target = null;
  writeUrl();
  syncControls();
  app.curves = newCurves();
  app.sample = 0;
  app.point = topology.points ? topology.points.train[0] : null;
  app.network = buildNetwork($("network"), topology, {
    onWeight: explain.askWeight, onNeuron: explain.askNeuron,
    onNeuronHover: explain.hoverNeuron, onHoverEnd: explain.hidePopup,
  });
  neuronButtons($("network"));
  $("plane-box").hidden = !topology.points;
  $("sample-box").hidden = Boolean(topology.points);
  $("sample").max = topology.train_size - 1;
  $("sample").value = 0;
  $("mnist-box").hidden = app.settings.dataset !== "mnist";
  $("accuracy-chart").hidden = $("accuracy-title").hidden = !topology.classes;
  $("sizes-info").textContent = `${topology.train_size} training and ${topology.test_size} test examples, ${topology.batches_per_epoch} batches per epoch`;
  if (topology.digits) {
    $("digits").replaceChildren(...topology.digits.map((d) => {
      const tile = document.createElement("figure");
      const canvas = document.createElement("canvas");
      paintGrey(canvas, 28, d);
      tile.append(canvas, document.createElement("figcaption"));
      return tile;
    }));
  }
}

function format(value, percent = false) {
  if (value === null || value === undefined) return "–";
  return percent ? `${(100 * value).toFixed(1)}%` : value.toFixed(4);
}

// Every state extends the curves; drawing waits for the next animation frame and shows the
// newest state, so a slow screen skips states instead of falling behind the server.
function onState(state) {
  app.state = state;
  app.received += 1;
  send({ type: "ack" });
  for (const key of Object.keys(app.curves)) {
    if (state[key] !== null) app.curves[key].push([state.epoch_progress, state[key]]);
    if (app.curves[key].length > MAX_CURVE) app.curves[key] = app.curves[key].filter((_, i) => i % 2 === 0);
  }
  if (state.doctor) app.doctor = state.doctor;
  if (!app.frame) app.frame = requestAnimationFrame(render);
}

function render() {
  const state = app.state, now = performance.now();
  app.frame = 0;
  app.updates += 1;
  app.times.push(now);
  while (app.times.length && now - app.times[0] > 2000) app.times.shift();
  if (app.playing && app.times.length > 2) {
    $("rate").textContent = `${((app.times.length - 1) / ((now - app.times[0]) / 1000)).toFixed(1)} updates/s`;
  }
  $("epoch").textContent = state.epoch;
  $("steps").textContent = state.steps;
  for (const key of Object.keys(app.curves)) {
    const lost = state.diverged && state[key] === null && key.endsWith("loss");
    $(key.replace("_", "-")).textContent = lost ? "diverged (NaN)" : format(state[key], key.endsWith("accuracy"));
  }
  drawCurves();
  app.network?.update(state);
  if (state.plane) drawPlaneView();
  if (state.filters) drawMnist(state);
  if (app.doctor) showDoctor(app.doctor);
  app.doctor = null;
  if (app.explain && now - app.lastExplain > 500) explain.refresh();
  app.renderMs = 0.9 * app.renderMs + 0.1 * (performance.now() - now);
}

function showDoctor(findings) {
  const items = findings.map((d) => {
    const item = document.createElement("li");
    item.innerHTML = "<b></b> <span></span><br><i></i>";
    item.querySelector("b").textContent = d.kind.replaceAll("_", " ") + ":";
    item.querySelector("span").textContent = d.finding;
    item.querySelector("i").textContent = `fix: ${d.fix}`;
    return item;
  });
  if (!items.length) items.push(Object.assign(document.createElement("li"), { textContent: "No findings: nothing looks wrong so far." }));
  $("doctor").replaceChildren(...items);
}

function drawCurves() {
  const train = "#333", test = "#0877bd";
  const c = app.curves;
  drawChart($("loss-chart"), [
    { values: c.train_loss, colour: train }, { values: c.test_loss, colour: test, dashed: true },
  ], null, $("log-loss").checked);
  drawChart($("accuracy-chart"), [
    { values: c.train_accuracy, colour: train }, { values: c.test_accuracy, colour: test, dashed: true },
  ], 1);
}

function drawPlaneView() {
  const t = app.topology;
  const ys = t.points.train_y.map(Math.abs);
  app.toPlane = drawPlane($("plane"), {
    extent: t.extent, grid: app.state.plane.grid, boundary: app.state.plane.boundary,
    points: t.points, classes: t.classes, showTest: $("show-test").checked, chosen: app.point,
    yRange: Math.max(1e-9, ...ys), discrete: $("discretize").checked,
  });
}

function drawMnist(state) {
  const tiles = $("digits").children;
  state.predictions.forEach((p, i) => {
    const caption = tiles[i]?.querySelector("figcaption");
    if (!caption) return;
    const right = p === app.topology.digit_labels[i];
    caption.textContent = `${p}`;
    caption.className = right ? "right" : "wrong";
  });
  const filters = $("filters");
  if (filters.children.length !== state.filters.length) {
    filters.replaceChildren(...state.filters.map(() => document.createElement("canvas")));
  }
  state.filters.forEach((f, j) => paintUnit(filters.children[j], 28, f));
}

function choosePoint(event) {
  if (!app.toPlane) return;
  const canvas = $("plane");
  const scale = canvas.width / canvas.getBoundingClientRect().width;
  app.point = app.toPlane(event.offsetX * scale, event.offsetY * scale);
  const train = app.topology.points.train;
  let best = 0, bestDistance = Infinity;
  train.forEach((p, i) => {
    const d = (p[0] - app.point[0]) ** 2 + (p[1] - app.point[1]) ** 2;
    if (d < bestDistance) { best = i; bestDistance = d; }
  });
  app.sample = best;
  $("chosen").textContent = `Chosen point (${app.point.map((v) => v.toFixed(2)).join(", ")}); nearest training example #${best}.`;
  drawPlaneView();
  if (app.explain) explain.refresh();
}

bindControls();
syncControls();
connect();
