# %% [markdown]
# # 11. A convolutional network on MNIST digits
#
# A convolution slides small kernels over the image; each kernel weight is shared by every
# position, so its slope is the sum over positions of (slope at the output pixel) × (input
# pixel under the weight). Pooling shrinks the maps; a Dense layer reads them out as ten
# class scores.

# %%
import numpy as np
from _walkthrough import figure, section, size

import glassnet as gn
from glassnet.vision import mnist_to_images

# %%
(x_train, y_train), (x_test, y_test) = gn.data.load_mnist()
n_train, n_test = size(6000, 256), size(1000, 64)
x_train, y_train = mnist_to_images(x_train[:n_train]), y_train[:n_train]
x_test, y_test = mnist_to_images(x_test[:n_test]), y_test[:n_test]
print(
    "images:",
    x_train.shape,
    x_train.dtype,
    "pixels in",
    [float(x_train.min()), float(x_train.max())],
)

model = gn.Sequential(
    [
        gn.nn.Conv2D(1, 8, 3, padding=1, seed=0),
        gn.nn.ReLU(),
        gn.nn.MaxPool2D(2),
        gn.nn.Conv2D(8, 16, 3, padding=1, seed=1),
        gn.nn.ReLU(),
        gn.nn.MaxPool2D(2),
        gn.nn.Flatten(),
        gn.nn.Dense(16 * 7 * 7, 10, seed=2),
    ]
)
model.compile(gn.optim.Adam(lr=1e-3), "cross_entropy", ["accuracy"])
model.summary((1, 28, 28))

# %% [markdown]
# With `verbose=1`, `fit` draws a progress bar per epoch that updates after every batch.

# %%
section("training")
history = model.fit(x_train, y_train, epochs=size(3, 1), batch_size=64, verbose=1, seed=0)
scores = model.evaluate(x_test, y_test)
print(f"train loss {history['loss'][-1]:.3f}; test accuracy {scores['accuracy']:.1%}")

# %%
section("one kernel weight's slope: a sum over the 28×28 positions it touches")
e = gn.explain.weight(
    model, x_test[0], y_test[0], "0.w[3, 0, 1, 1]", loss="cross_entropy", optimizer=model.optimizer
)
print(e)

# %%
predictions = model.predict(x_test).argmax(axis=1)
fig = gn.plot.mnist_grid(x_test, y_test, predictions, figure("11_cnn.png"), n=size(25, 9))
print(
    f"{int(np.sum(predictions != y_test))} mistakes in {n_test} test digits → figure:",
    fig.glassnet_path,
)
fig
