# %% [markdown]
# # 5. Backpropagation: the slope of the loss with respect to every weight
#
# The slope for one weight is the product of three numbers: the slope of the loss at the
# node the weight feeds, the slope of that node's activation, and the value of the node
# feeding the weight. The seeds' example: weight 2, input 3, target 10 → prediction 6,
# slope 2·(6 − 10)·3 = −24, and with learning rate 0.01 the new weight is
# 2 − 0.01·(−24) = 2.24.

# %%
import numpy as np
from _walkthrough import figure, section

import glassnet as gn

# %%
section("the seeds' slope example, factor by factor")
neuron = gn.Sequential([gn.nn.Dense(1, 1, use_bias=False)])
neuron[0].w.data[:] = 2.0
e = gn.explain.weight(neuron, [3.0], [10.0], "0.w[0, 0]", loss="mse", lr=0.01)
print(e)
assert e.gradient == -24.0 and abs(e.new_value - 2.24) < 1e-12

# %% [markdown]
# A weight of the hidden layer reaches the loss through every node after it: its slope
# sums those paths.

# %%
section("a hidden weight: its slope sums the paths through the next layer")
bank = gn.data.load_bank_transactions()
net = gn.Sequential(
    [gn.nn.Dense(2, 2, use_bias=False), gn.nn.ReLU(), gn.nn.Dense(2, 1, use_bias=False)]
)
net[0].w.data[:] = bank.w_hidden
net[2].w.data[:] = bank.w_output
print(gn.explain.weight(net, bank.x[0], [7.0], "0.w[1, 0]", loss="mse", lr=0.01))

# %%
section("every op of one forward and backward pass (gn.trace)")
with gn.trace(neuron) as t:
    loss = gn.losses.MSE()(neuron(np.array([[3.0]], dtype=np.float32)), [[10.0]])
    loss.backward()
print(t)

# %% [markdown]
# `gn.check_gradients` compares autograd's slope of every weight with a numerical one
# (central differences in float64). It prints its table; with `verbose=False` it only
# returns the report, which a notebook shows as a table at the end of a cell.

# %%
section("autograd against numerical slopes for every weight")
rng = np.random.default_rng(0)
mlp = gn.Sequential([gn.nn.Dense(3, 4, seed=0), gn.nn.Tanh(), gn.nn.Dense(4, 1, seed=1)])
x_check, y_check = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
report = gn.check_gradients(mlp, x_check, y_check, verbose=False)
assert report.ok
print("every parameter passes:", report.ok)
report

# %%
fig = gn.plot.surface_1d(
    lambda w: (3.0 * w - 10.0) ** 2,
    figure("05_backprop_slopes.png"),
    start=2.0,
    lr=0.01,
    steps=15,
    span=(0.0, 5.0),
    title="C(w) = (3w − 10)²: each step moves w against the slope",
)
print("w after each step:", fig.glassnet_path_points[:4].round(4).tolist(), "…")
print("figure:", fig.glassnet_path)
fig
