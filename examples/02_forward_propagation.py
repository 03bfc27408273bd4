# %% [markdown]
# # 2. Forward propagation
#
# One data point through the seeds' bank-transactions network. Inputs are the number of
# children (2) and of existing accounts (3); the hidden nodes take weighted sums (node 0:
# weights 1, 1; node 1: weights −1, 1) and the output node sums them with weights 2 and −1.
# The prediction is 9 transactions.

# %%
from _walkthrough import figure, section

import glassnet as gn

bank = gn.data.load_bank_transactions()
model = gn.Sequential([gn.nn.Dense(2, 2, use_bias=False), gn.nn.Dense(2, 1, use_bias=False)])
model[0].w.data[:] = bank.w_hidden
model[1].w.data[:] = bank.w_output

# %% [markdown]
# `gn.explain.forward` writes out every weighted sum with the numbers plugged in.

# %%
section("one data point, layer by layer")
walk = gn.explain.forward(model, bank.x[0])
print(walk)
assert walk.output[0] == 9.0

# %% [markdown]
# The whole batch at once is one matrix product per layer.

# %%
section("the same as a matrix product of the whole batch")
print("model.predict(x) =", model.predict(bank.x).ravel().tolist())

# %%
fig = gn.plot.network(model, figure("02_forward_propagation.png"), title="Bank transactions")
print("figure:", fig.glassnet_path)
fig
