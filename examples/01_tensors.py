# %% [markdown]
# # 1. Tensors and matrix algebra
#
# Scalars, vectors, matrices and tensors, and the four operations a network is built from
# (scalar multiplication, addition, the matrix product and the transpose), with the seeds'
# numbers.
#
# This lesson is a script and a notebook at once (jupytext "percent" cells): run it with
# `python examples/01_tensors.py`, or open it as a notebook. `GLASSNET_SMOKE=1` shrinks
# every lesson's data and epochs so that it runs in seconds.

# %%
import numpy as np
from _walkthrough import figure, section

import glassnet as gn

# %% [markdown]
# A tensor has a number of axes (`ndim`) and a size along each (`shape`). A batch of
# images is a 4-axis tensor: images, channels, height, width.

# %%
section("scalar, vector, matrix, tensor")
scalar = gn.tensor(5.0)
vector = gn.tensor([1.0, 2.0, 3.0])
matrix = gn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
images = gn.zeros((2, 1, 28, 28))  # a batch of 2 grey 28×28 images: N, C, H, W
for name, t in [("scalar", scalar), ("vector", vector), ("matrix", matrix), ("tensor", images)]:
    print(f"{name:7s} ndim={t.ndim} shape={t.shape}")
print("matrix[1, 2] (row 1, column 2) =", matrix[1, 2].item())

# %% [markdown]
# Scalar multiplication and addition work entry by entry.

# %%
section("scalar multiplication: every entry times the scalar")
a = gn.tensor([[4.0, 1.0], [2.0, 3.0]])
print("2 · A =", (2 * a).tolist(), "  (top left: 4·2 = 8)")

section("matrix addition: entries in the same place are added")
b = gn.tensor([[4.0, 0.0], [1.0, 5.0]])
c = gn.tensor([[3.0, 2.0], [2.0, 1.0]])
print("C + B =", (c + b).tolist(), "  (top left: 3 + 4 = 7)")

# %% [markdown]
# The matrix product takes the dot product of each row of the left matrix with each
# column of the right one. A tensor at the end of a cell shows its values, shape, dtype
# and the op that made it.

# %%
section("matrix product: row · column dot products")
product = a @ b
print("A @ B =", product.tolist())
print(f"(A @ B)[0, 0] = 4·4 + 1·1 = {product[0, 0].item():g}")
product

# %%
section("transpose: rows become columns")
m = gn.tensor([[6.0, 4.0, 24.0], [1.0, -9.0, 8.0]])
print("M (2×3) first row:", m[0].tolist(), "→ Mᵀ (3×2) first column:", m.T[:, 0].tolist())

# %% [markdown]
# A layer of a network is one matrix product plus a bias: `z = x·w + b`.

# %%
section("a layer is a matrix product: z = x·w + b")
x = gn.tensor([[2.0, 3.0]])
w = gn.tensor([[1.0, -1.0], [1.0, 1.0]])
print("x @ w =", (x @ w).tolist(), " (the bank example's hidden layer)")
assert np.allclose(product.numpy(), a.numpy() @ b.numpy())

# %%
fig = gn.plot.matrices({"A": a, "B": b, "A @ B": product, "Mᵀ": m.T}, figure("01_tensors.png"))
print("figure:", fig.glassnet_path)
fig
