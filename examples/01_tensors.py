"""1. Tensors and matrix algebra: scalars, vectors, matrices and tensors, and the four
operations a network is built from (scalar multiplication, addition, the matrix product and
the transpose), with the seeds' numbers.
"""

import numpy as np
from _walkthrough import figure, section

import glassnet as gn

section("scalar, vector, matrix, tensor")
scalar = gn.tensor(5.0)
vector = gn.tensor([1.0, 2.0, 3.0])
matrix = gn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
images = gn.zeros((2, 1, 28, 28))  # a batch of 2 grey 28×28 images: N, C, H, W
for name, t in [("scalar", scalar), ("vector", vector), ("matrix", matrix), ("tensor", images)]:
    print(f"{name:7s} ndim={t.ndim} shape={t.shape}")
print("matrix[1, 2] (row 1, column 2) =", matrix[1, 2].item())

section("scalar multiplication: every entry times the scalar")
a = gn.tensor([[4.0, 1.0], [2.0, 3.0]])
print("2 · A =", (2 * a).tolist(), "  (top left: 4·2 = 8)")

section("matrix addition: entries in the same place are added")
b = gn.tensor([[4.0, 0.0], [1.0, 5.0]])
c = gn.tensor([[3.0, 2.0], [2.0, 1.0]])
print("C + B =", (c + b).tolist(), "  (top left: 3 + 4 = 7)")

section("matrix product: row · column dot products")
product = a @ b
print("A @ B =", product.tolist())
print(f"(A @ B)[0, 0] = 4·4 + 1·1 = {product[0, 0].item():g}")

section("transpose: rows become columns")
m = gn.tensor([[6.0, 4.0, 24.0], [1.0, -9.0, 8.0]])
print("M (2×3) first row:", m[0].tolist(), "→ Mᵀ (3×2) first column:", m.T[:, 0].tolist())

section("a layer is a matrix product: z = x·w + b")
x = gn.tensor([[2.0, 3.0]])
w = gn.tensor([[1.0, -1.0], [1.0, 1.0]])
print("x @ w =", (x @ w).tolist(), " (the bank example's hidden layer)")
assert np.allclose(product.numpy(), a.numpy() @ b.numpy())

fig = gn.plot.matrices({"A": a, "B": b, "A @ B": product, "Mᵀ": m.T}, figure("01_tensors.png"))
print("figure:", fig.glassnet_path)
