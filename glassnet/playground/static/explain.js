// The math on demand: ask the server to explain a weight (gn.explain.weight) or a neuron
// (its weighted sum at the chosen point) and show the numbers it sends back.
// Hovering explains the weight under the mouse; a click pins it until × is pressed.

const $ = (id) => document.getElementById(id);

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
    close() {
      app.explain = null;
      app.pinned = false;
      $("explain").hidden = true;
      app.network?.mark(null);
    },
    showWeight(m) {
      $("explain").hidden = false;
      const what = m.row < 0 ? "bias" : "weight";
      $("explain-title").textContent = `${what} ${m.name} on training example #${m.sample}${app.pinned ? " (pinned)" : ""}`;
      $("explain-numbers").innerHTML = numbers([
        ["value", m.value.toPrecision(6), "ex-value"],
        ["gradient", m.gradient.toPrecision(6), "ex-gradient"],
        ["after one step", m.new_value.toPrecision(6), "ex-new"],
      ]);
      $("explain-text").textContent = m.text;
    },
    showNeuron(m) {
      $("explain").hidden = false;
      $("explain-title").textContent = `neuron ${m.unit} of layer ${m.layer + 1} at ${m.where}`;
      $("explain-numbers").innerHTML = numbers([
        ["weighted sum z", m.z.toPrecision(6), "ex-z"],
        [`activation ${m.activation}`, m.a.toPrecision(6), "ex-a"],
      ]);
      $("explain-text").textContent = m.text;
    },
  };
}
