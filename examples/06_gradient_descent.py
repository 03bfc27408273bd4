# %% [markdown]
# # 6. Gradient descent and the learning rate
#
# On C(x, y) = x² + y² the gradient is (2x, 2y); each step moves against it by lr times
# its size. On a real regression, a learning rate that is too small barely moves the loss,
# a good one brings it down quickly, and one that is too large overshoots and diverges. The
# same bowl appears in a real model when its loss is drawn against two of its weights.

# %%
import warnings

import numpy as np
from _walkthrough import figure, section, size

import glassnet as gn

# %%
section("C(x, y) = x² + y² from (4, −3)")
fig = gn.plot.surface_2d(path=figure("06_bowl.png"), start=(4.0, -3.0), lr=0.1, steps=20)
walk = fig.glassnet_path_points
print("gradient at the start: (2x, 2y) =", (2 * walk[0]).tolist())
print("first steps:", walk[:3].round(3).tolist(), "→ after 20 steps", walk[-1].round(4).tolist())
print("figure:", fig.glassnet_path)
fig

# %% [markdown]
# Three learning rates on the same linear regression, full-batch gradient descent.

# %%
section("a learning-rate sweep on a linear regression")
rng = np.random.default_rng(0)
x = rng.normal(size=(size(200, 40), 3))
y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.1 * rng.normal(size=(len(x), 1))
curves = {}
for lr in (0.001, 0.1, 1.5):
    model = gn.Sequential([gn.nn.Dense(3, 1, seed=0)])
    model.compile(gn.optim.SGD(lr=lr), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the diverging run warns when it overflows
        history = model.fit(x, y, epochs=size(20, 8), batch_size=None, verbose=0)
    curves[lr] = history["loss"]
fig = gn.plot.lr_sweep(curves, figure("06_lr_sweep.png"))
for lr, verdict in fig.glassnet_verdicts.items():
    print(f"lr={lr:g}: loss {curves[lr][0]:.3g} → {curves[lr][-1]:.3g} ({verdict})")
print("figure:", fig.glassnet_path)
fig

# %%
section("the same bowl in a real model: the regression's MSE along two of its weights")
model = gn.Sequential([gn.nn.Dense(3, 1, seed=0)])  # untrained; the other weights stay fixed
fig = gn.plot.model_surface(
    model, x, y, "mse", weights=("0.w[0, 0]", "0.w[1, 0]"), path=figure("06_model_surface.png"),
    span=3.0, lr=0.1, steps=size(40, 15),
)  # fmt: skip
walk = fig.glassnet_path_points
print(f"w[0, 0], w[1, 0] from {walk[0].round(3).tolist()} → {walk[-1].round(3).tolist()}")
print("(the data were made with 1.5 and −2.0; the untrained third weight and bias shift the")
print(" bottom of this slice a little)")
print("figure:", fig.glassnet_path)
fig
