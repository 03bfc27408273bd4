// The page's settings: their defaults, the URL they live in, and the rules that keep them
// sensible (numbers in their controls' ranges, a loss that fits the data set). The server
// validates every setting again; these rules only keep a bad value out of the URL.

const $ = (id) => document.getElementById(id);

export const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
export const FEATURE_LABELS = ["x₁", "x₂", "x₁²", "x₂²", "x₁·x₂", "sin x₁", "sin x₂"];
export const PLANE = ["circles", "xor", "gaussians", "spiral", "regression_plane", "multi_gaussian"];
export const REGRESSION = ["regression_plane", "multi_gaussian"];
export const DEFAULTS = {
  dataset: "circles", samples: 400, noise: 0.1, classes: 2, test_size: 0.5, features: ["x1", "x2"],
  hidden: [4, 4], activation: "tanh", loss: "cross_entropy", optimizer: "adam", lr: 0.03,
  batch_size: 16, l2: 0, l1: 0, dropout: 0, seed: 0, target: null,
};
export const NUMBERS = ["samples", "noise", "classes", "test_size", "lr", "batch_size", "l2", "l1", "dropout", "seed"];
export const CHOICES = ["activation", "loss", "optimizer"];
export const MAX_LAYERS = 8, MAX_NEURONS = 64;

export function readUrl() {
  const query = new URLSearchParams(location.search);
  const s = structuredClone(DEFAULTS);
  for (const key of Object.keys(DEFAULTS)) {
    if (!query.has(key)) continue;
    const text = query.get(key);
    if (NUMBERS.includes(key)) s[key] = Number(text);
    else if (key === "features") s[key] = text.split(",").filter((f) => FEATURES.includes(f));
    else if (key === "hidden") s[key] = text.split(",").filter(Boolean).map(Number);
    else s[key] = text;
  }
  // A hand-edited URL gets sensible values here; the server still checks every one.
  for (const key of NUMBERS) if (!Number.isFinite(s[key]) || !inRange(key, s[key])) s[key] = DEFAULTS[key];
  s.hidden = s.hidden.filter(Number.isFinite).slice(0, MAX_LAYERS)
    .map((n) => Math.min(MAX_NEURONS, Math.max(1, Math.round(n))));
  if (!s.features.length) s.features = [...DEFAULTS.features];
  return s;
}

export function writeSettings(settings) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(settings)) {
    if (value === null) continue;
    query.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  history.replaceState(null, "", `?${query}`);
}

// A number outside its control's min … max is refused here, before it reaches the URL.
export function inRange(key, value) {
  const input = $(key);
  if (!input || input.type === "checkbox" || !NUMBERS.includes(key)) return true;
  const low = Number(input.min), high = Number(input.max);
  return Number.isFinite(value) && (input.min === "" || value >= low) && (input.max === "" || value <= high);
}

// Switching data sets: the loss follows the task, and MNIST's sample count does not leak.
export function carryOver(s, previous, dataset) {
  if (REGRESSION.includes(dataset)) s.loss = "squared_error";
  else if (dataset !== "csv") s.loss = "cross_entropy";
  if (dataset === "mnist" && s.samples < 1000) s.samples = 1000;
  if (previous === "mnist" && dataset !== "mnist") s.samples = DEFAULTS.samples;
}
