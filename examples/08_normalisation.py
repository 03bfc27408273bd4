# %% [markdown]
# # 8. Normalisation: put every feature on the same scale before training
#
# Min-max scaling maps each feature to [0, 1] with (x − min) / (max − min), using the
# training data's min and max. Features in wildly different units make one learning rate
# too large for some weights and too small for others; scaled, one rate fits all.

# %%
import warnings

import numpy as np
from _walkthrough import figure, section, size

import glassnet as gn

x, y, names = gn.data.load_hourly_wages()
x_train, x_test, y_train, y_test = gn.data.train_test_split(x, y, test_size=0.2, seed=0)

# %% [markdown]
# The doctor reads the raw features and says what it sees.

# %%
section("feature ranges of the hourly-wages data")
for name, low, high in zip(names, x_train.min(axis=0), x_train.max(axis=0)):
    print(f"{name:15s} {low:6.1f} … {high:6.1f}")
spread = x_train.max(axis=0) - x_train.min(axis=0)
print(f"the widest range is {spread.max() / spread.min():.0f}× the narrowest")
print(gn.doctor(x=x_train))  # flags ranges ≥ 10× apart (the widest > 10) or values ≥ 100

scaler = gn.data.MinMaxScaler().fit(x_train)
x_scaled = scaler.transform(x_train)
print("after MinMaxScaler: every feature in", [float(x_scaled.min()), float(x_scaled.max())])

# %%
section("the same network and learning rate, raw vs scaled inputs")
curves = {}
for label, inputs in (("raw features", x_train), ("min-max scaled", x_scaled)):
    model = gn.Sequential(
        [gn.nn.Dense(len(names), 8, seed=0), gn.nn.ReLU(), gn.nn.Dense(8, 1, seed=1)]
    )
    model.compile(gn.optim.SGD(lr=0.01), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the raw run may overflow and stop early
        history = model.fit(inputs, y_train, epochs=size(30, 4), batch_size=32, verbose=0, seed=0)
    curves[label] = history["loss"]
    first = np.round(history["loss"][:4], 2).tolist()
    print(f"{label:15s} loss per epoch: {first} … {history['loss'][-1]:.3g}")
test_loss = model.evaluate(scaler.transform(x_test), y_test)["loss"]
print(
    f"scaled model's test MSE: {test_loss:.2f} (the test set is scaled with the training min/max)"
)

# %%
fig = gn.plot.loss_curves(
    curves, figure("08_normalisation.png"), log=True, title="Raw vs scaled inputs"
)
print("figure:", fig.glassnet_path)
fig
