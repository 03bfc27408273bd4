// The math on demand: ask the server to explain a weight (gn.explain.weight) or a neuron
// (its weighted sum at the chosen point) and show the numbers it sends back.
// Hovering explains the weight under the mouse; a click pins it until × is pressed.

import { plainNeuron } from "./network.js";

const $ = (id) => document.getElementById(id);
const LABELS = { x1: "x₁", x2: "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁·x₂", "sin(x1)": "sin x₁", "sin(x2)": "sin x₂" };

// "x₂ → h1₃" for weight (layer, row, col) of the diagram, "bias of h1₃" for a bias.
function plainWeight(topology, m) {
  const sizes = topology.sizes, to = plainNeuron(sizes, m.layer + 1, m.col);
  if (m.row < 0) return `bias of ${to}`;
  const feature = topology.features?.[m.row];
  const from = m.layer === 0 ? (LABELS[feature] || `x${m.row + 1}`) : plainNeuron(sizes, m.layer, m.row);
  return `${from} → ${to}`;
}

// The popup beside an element, kept inside the window (flips left, clamps top and bottom).
function place(popup, anchor) {
  const box = anchor.getBoundingClientRect(), room = 8;
  popup.hidden = false;
  const w = popup.offsetWidth, h = popup.offsetHeight;
  let left = box.right + room;
  if (left + w > window.innerWidth - 4) left = box.left - w - room;
  left = Math.max(4, Math.min(left, window.innerWidth - w - 4));
  const top = Math.max(4, Math.min(box.top, window.innerHeight - h - 4));
  Object.assign(popup.style, { left: `${left}px`, top: `${top}px` });
}

function numbers(pairs) {
  return pairs.map(([label, value, id]) => `<span>${label} <b id="${id}">${value}</b></span>`).join("");
}

export function explainer(app, send) {
  function refresh() {
    const e = app.explain;
    app.lastExplain = performance.now();
    if (e.type === "explain_neuron" && app.topology.points) send({ ...e, point: app.point });
    else send({ ...e, sample: app.sample });
  }

  return {
    refresh,
    askWeight(id, pin) {
      if (app.pinned && !pin) return;
      app.pinned = pin;
      app.explain = { type: "explain_weight", ...id };
      app.network?.mark(id);
      refresh();
    },
    askNeuron(id) {
      app.pinned = true;
      app.explain = { type: "explain_neuron", ...id };
      refresh();
    },
    // Hover or keyboard focus on a neuron: its weighted sum in a popup beside it.
    hoverNeuron(id, element) {
      app.popupAnchor = element;
      app.hoverPending = true;
      const request = { type: "explain_neuron", ...id };
      if (app.topology.points) send({ ...request, point: app.point });
      else send({ ...request, sample: app.sample });
    },
    hidePopup() {
      app.popupAnchor = null;
      $("popup").hidden = true;
    },
    close() {
      app.explain = null;
      app.pinned = false;
      $("explain").hidden = true;
      app.network?.mark(null);
    },
    showWeight(m) {
      $("explain").hidden = false;
      const what = m.row < 0 ? "bias" : "weight";
      const plain = plainWeight(app.topology, m);
      $("explain-title").textContent = `${m.row < 0 ? plain : `${what} ${plain}`} (glassnet: ${m.name}) on training example #${m.sample}${app.pinned ? " (pinned)" : ""}`;
      $("explain-numbers").innerHTML = numbers([
        ["value", m.value.toPrecision(6), "ex-value"],
        ["gradient", m.gradient.toPrecision(6), "ex-gradient"],
        ["after one step", m.new_value.toPrecision(6), "ex-new"],
      ]);
      $("explain-text").textContent = m.text;
    },
    showNeuron(m) {
      if (app.hoverPending) {
        app.hoverPending = false;
        if (!app.popupAnchor) return;
        const name = plainNeuron(app.topology.sizes, m.layer + 1, m.unit);
        $("popup").textContent = `${name} at ${m.where}\n${m.text}`;
        place($("popup"), app.popupAnchor);
        return;
      }
      $("explain").hidden = false;
      const name = plainNeuron(app.topology.sizes, m.layer + 1, m.unit);
      $("explain-title").textContent = `neuron ${name} (glassnet: neuron ${m.unit} of layer ${m.layer + 1}) at ${m.where}`;
      $("explain-numbers").innerHTML = numbers([
        ["weighted sum z", m.z.toPrecision(6), "ex-z"],
        [`activation ${m.activation}`, m.a.toPrecision(6), "ex-a"],
      ]);
      $("explain-text").textContent = m.text;
    },
  };
}
