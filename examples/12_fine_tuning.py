# %% [markdown]
# # 12. Fine-tuning: start from a network trained on another task
#
# A network first learns to name digits (ten classes) from thousands of examples. The new
# task, "is the digit odd?", has only 30 labelled examples. Fine-tuning keeps the
# pretrained first layer (frozen: its features of handwriting stay as they are) and trains
# a new output layer on the 30 examples; the same network trained from scratch on them, at
# the same learning rate, is the comparison.
#
# With the full sizes the fine-tuned network reaches 83.0% on 2,000 test digits against
# 78.3% from scratch; on four other sets of 30 examples (rows 7,000…10,000) it won by 5 to
# 8 points each time (79–84% against 71–78%). With `GLASSNET_SMOKE=1` the "pretrained"
# layer has seen 300 digits for one epoch, and scratch training wins: the features must be
# good before they are worth keeping.

# %%
import numpy as np
from _walkthrough import figure, section, size

import glassnet as gn

(x_all, y_all), (x_test, y_test) = gn.data.load_mnist()


def pixels(images) -> np.ndarray:
    """(N, 28, 28) uint8 → (N, 784) float32 in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


n_pre, n_test = size(6000, 300), size(2000, 100)
x_pre, y_pre = pixels(x_all[:n_pre]), y_all[:n_pre]
x_few, odd_few = pixels(x_all[n_pre : n_pre + 30]), y_all[n_pre : n_pre + 30] % 2
x_new, odd_new = pixels(x_test[:n_test]), y_test[:n_test] % 2


def body(seed: int) -> list:
    return [gn.nn.Dense(784, 64, seed=seed), gn.nn.ReLU()]


# %%
section(f"pretraining: naming digits from {n_pre} examples")
pretrained = gn.Sequential([*body(0), gn.nn.Dense(64, 10, seed=1)])
pretrained.compile(gn.optim.Adam(lr=1e-3), "cross_entropy", ["accuracy"])
pretrained.fit(x_pre, y_pre, epochs=size(5, 1), batch_size=64, verbose=1, seed=0)
scores = pretrained.evaluate(x_new, y_test[:n_test])
print(f"test accuracy naming digits: {scores['accuracy']:.1%}")

# %% [markdown]
# The new head replaces the ten-class output layer; `trainable = False` keeps the first
# layer's weights as pretraining left them.

# %%
section(f"new task, odd or even, from {len(x_few)} examples")
tuned = gn.Sequential([*body(0), gn.nn.Dense(64, 2, seed=2)])
tuned.load_state_dict({**pretrained.state_dict(), "2.w": tuned[2].w.data, "2.b": tuned[2].b.data})
tuned[0].trainable = False  # keep the pretrained features; train only the new head
scratch = gn.Sequential([*body(3), gn.nn.Dense(64, 2, seed=2)])
curves = {}
for label, model in (("fine-tuned (layer 0 frozen)", tuned), ("from scratch", scratch)):
    model.compile(gn.optim.Adam(lr=1e-2), "cross_entropy", ["accuracy"])
    history = model.fit(
        x_few,
        odd_few,
        epochs=size(30, 3),
        batch_size=32,
        validation_data=(x_new, odd_new),
        verbose=0,
        seed=0,
    )
    curves[label] = history["val_loss"]
    print(
        f"{label:28s} test accuracy {history['val_accuracy'][-1]:.1%}, "
        f"trainable parameters {model.count_params(trainable=True)}"
    )
assert np.array_equal(tuned[0].w.data, pretrained[0].w.data)  # frozen: unchanged

# %%
fig = gn.plot.loss_curves(
    curves, figure("12_fine_tuning.png"), title="Odd or even: loss on test digits"
)
print("figure:", fig.glassnet_path)
fig
