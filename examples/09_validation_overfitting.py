# %% [markdown]
# # 9. Validation and overfitting
#
# A model is judged on data it did not train on. With few, noisy training points and a big
# network, the training loss keeps falling while the validation loss turns up: from that
# epoch on the model memorises noise. The doctor names the epoch; EarlyStopping stops there
# and restores the best weights.

# %%
from _walkthrough import figure, section, size

import glassnet as gn

x, y = gn.data.make_circles(size(30, 30), noise=0.3, seed=0)
x_val, y_val = gn.data.make_circles(size(300, 100), noise=0.3, seed=1)


def build() -> gn.Sequential:
    model = gn.Sequential(
        [gn.nn.Dense(2, 32, seed=0), gn.nn.ReLU(), gn.nn.Dense(32, 32, seed=1), gn.nn.ReLU()]
        + [gn.nn.Dense(32, 2, seed=2)]
    )
    model.compile(gn.optim.Adam(lr=0.02), "cross_entropy", ["accuracy"])
    return model


# %% [markdown]
# `gn.callbacks.LivePlot()` draws the training and validation curves while `fit` runs: in
# a notebook the figure under the cell is redrawn in place (here every 10 epochs); in a
# script one figure is saved when training ends.

# %%
section("training on 30 noisy points, validating on fresh ones")
model = build()
live = gn.callbacks.LivePlot(figure("09_liveplot.png"), every=10)
history = model.fit(
    x, y, epochs=60, batch_size=None, validation_data=(x_val, y_val), callbacks=[live], verbose=0
)
for epoch in range(0, 60, 10):
    print(
        f"epoch {epoch + 1:2d}: loss {history['loss'][epoch]:.3f}, "
        f"val_loss {history['val_loss'][epoch]:.3f}"
    )

# %% [markdown]
# The doctor reads the history and names the epoch where the validation loss turned up.

# %%
report = gn.doctor(history=history, model=model)
print(report)

# %%
section("EarlyStopping keeps the weights of the best validation epoch")
model = build()
stop = gn.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
short = model.fit(
    x, y, epochs=60, batch_size=None, validation_data=(x_val, y_val), callbacks=[stop], verbose=0
)
scores = model.evaluate(x_val, y_val)
print(
    f"stopped after {len(short['loss'])} epochs, weights of epoch {stop.best_epoch + 1} kept: "
    f"val_loss {scores['loss']:.4f}, val_accuracy {scores['accuracy']:.1%}"
)

# %%
fig = gn.plot.history(history, figure("09_overfitting.png"))
print("overfitting onset marked at epoch", fig.glassnet_onset, "→ figure:", fig.glassnet_path)
fig
