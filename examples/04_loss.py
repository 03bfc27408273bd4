# %% [markdown]
# # 4. Loss
#
# One number that says how wrong the predictions are. Mean squared error averages
# (prediction − actual)² over the data; cross-entropy scores a classifier's probability of
# the right class. The line fitter finds the slope m and intercept b of the line with the
# smallest total squared error, by gradient descent.

# %%
import numpy as np
from _walkthrough import figure, section, size

import glassnet as gn

# %%
section("mean squared error by hand and by gn.losses.MSE")
prediction = np.array([[6.0], [3.0], [8.0]])
actual = np.array([[10.0], [3.0], [5.0]])
squares = (prediction - actual) ** 2
errors = (prediction - actual).ravel()
print(f"errors {errors.tolist()} → squared {squares.ravel().tolist()} → mean {squares.mean():.4f}")
print(f"gn.losses.MSE(): {gn.losses.MSE()(prediction, actual).item():.4f}")
cost = gn.losses.QuadraticCost()(prediction, actual).item()
print(f"the seeds' quadratic cost C = Σ‖y − a‖² / 2n = 25 / 6: {cost:.4f} (half the MSE)")

# %%
section("cross-entropy: −ln(probability of the right class)")
logits = np.array([[2.0, 0.5, -1.0]])
probabilities = gn.ops.softmax(gn.tensor(logits)).numpy()
for label in range(3):
    loss = gn.losses.CrossEntropy()(logits, [label]).item()
    print(f"class {label}: p = {probabilities[0, label]:.3f}, loss = {loss:.3f}")

# %% [markdown]
# The line fitter: eight points near y = 2x + 1, and the total squared error of a few
# candidate lines; gradient descent then walks m and b down to the best one.

# %%
section("the line fitter: total squared error of y = m·x + b")
rng = np.random.default_rng(0)
x = np.arange(1.0, 9.0)  # 8 points, as the lesson suggests
y = 2.0 * x + 1.0 + rng.normal(0.0, 1.0, x.size)
for m, b in [(0.0, 0.0), (1.0, 4.0), (2.0, 1.0)]:
    print(f"m = {m}, b = {b}: total squared error {np.sum((m * x + b - y) ** 2):.2f}")
fig = gn.plot.line_fitter(x, y, figure("04_loss.png"), lr=0.01, steps=size(400, 60))
m, b = fig.glassnet_path_points[-1]
exact_m, exact_b = np.polyfit(x, y, 1)
print(
    f"gradient descent finds m = {m:.3f}, b = {b:.3f}; least squares: {exact_m:.3f}, {exact_b:.3f}"
)
print("figure:", fig.glassnet_path)
fig
