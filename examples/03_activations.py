# %% [markdown]
# # 3. Activation functions
#
# What a node fires given its weighted sum z. The seeds' tanh example: inputs (−1, 2),
# hidden weights (3, 3) and (1, 5), output weights (2, −1). Each hidden node applies tanh
# to its weighted sum before the output sums them. With ReLU instead, negative sums are cut
# to 0. The figure shows each activation and its slope (what backpropagation multiplies by).

# %%
import numpy as np
from _walkthrough import figure, section

import glassnet as gn


def network(activation) -> gn.Sequential:
    model = gn.Sequential(
        [gn.nn.Dense(2, 2, use_bias=False), activation, gn.nn.Dense(2, 1, use_bias=False)]
    )
    model[0].w.data[:] = [[3.0, 1.0], [3.0, 5.0]]  # column j: node j's weights
    model[2].w.data[:] = [[2.0], [-1.0]]
    return model


# %%
x = np.array([-1.0, 2.0])
for activation in (gn.nn.Tanh(), gn.nn.ReLU(), gn.nn.Identity()):
    section(f"{type(activation).__name__} hidden layer")
    walk = gn.explain.forward(network(activation), x)
    print(walk)

# %% [markdown]
# Without an activation between them, two layers are one matrix product in disguise.

# %%
section("without activations, stacked layers collapse into one linear map")
linear = network(gn.nn.Identity())
w_total = linear[0].w.data @ linear[2].w.data
print("x @ (w₀ @ w₂) =", float((x @ w_total)[0]), "= the identity network's output")

# %%
fig = gn.plot.activations(figure("03_activations.png"))
print("figure:", fig.glassnet_path)
fig
