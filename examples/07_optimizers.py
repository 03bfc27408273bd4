# %% [markdown]
# # 7. Gradient descent, SGD, mini-batch and Adam on one problem
#
# The update rule is the same, w ← w − lr·slope; what differs is how many data points each
# slope is computed on (all of them, one, or a small batch) and, for Adam, a step size per
# weight from running averages of the slope (m) and of its square (v).

# %%
import numpy as np
from _walkthrough import figure, section, size

import glassnet as gn

x, y = gn.data.make_circles(size(400, 64), noise=0.1, seed=0)
x = gn.data.StandardScaler().fit_transform(x)
runs = {
    "gradient descent (all points)": (gn.optim.SGD(lr=1.0), None),
    "SGD (one point)": (gn.optim.SGD(lr=0.05), 1),
    "mini-batch (32)": (gn.optim.SGD(lr=0.5), 32),
    "Adam (32)": (gn.optim.Adam(lr=0.02), 32),
}

# %%
section(
    f"the same network, {size(40, 4)} epochs over {len(x)} points: "
    "each slope from all, one or 32 of them"
)
histories = {}
for label, (optimizer, batch_size) in runs.items():
    model = gn.Sequential([gn.nn.Dense(2, 16, seed=0), gn.nn.Tanh(), gn.nn.Dense(16, 2, seed=1)])
    model.compile(optimizer, "cross_entropy", ["accuracy"])
    history = model.fit(x, y, epochs=size(40, 4), batch_size=batch_size, verbose=0, seed=0)
    histories[label] = history
    updates = len(history.batch_loss)
    print(
        f"{label:30s} lr={optimizer.lr:<5g} {updates:5d} updates, loss {history['loss'][-1]:.3f}, "
        f"accuracy {history['accuracy'][-1]:.1%}"
    )

# %% [markdown]
# Adam's step for one weight, with the running averages m and v it keeps per weight.

# %%
section("one Adam step for one weight, with the optimizer's running m and v")
print(
    gn.explain.weight(
        model, x[0], y[0], "2.w[3, 1]", loss="cross_entropy", optimizer=model.optimizer
    )
)

# %%
fig = gn.plot.loss_curves(
    histories, figure("07_optimizers.png"), title="Same network, four optimizers"
)
print("figure:", fig.glassnet_path)
assert np.isfinite(histories["Adam (32)"]["loss"][-1])
fig
