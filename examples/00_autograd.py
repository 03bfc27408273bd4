"""Autograd in ten lines: the seeds' slope example, dL/dw = 2·(prediction − actual)·x.

A neuron with weight w = 2 sees x = 3 and should output 10; it outputs 6, so the error
is −4. The slope of the squared error with respect to w is 2·(−4)·3 = −24, and one
gradient-descent step with learning rate 0.01 moves w to 2 − 0.01·(−24) = 2.24.
"""

import glassnet as gn

x, target = gn.tensor(3.0), gn.tensor(10.0)
w = gn.tensor(2.0, requires_grad=True)
loss = (w * x - target) ** 2  # squared error of the prediction w·x = 6
loss.backward()
print(f"prediction {float((w * x).item()):g}, loss {loss.item():g}")
print(f"dL/dw = 2·(6 − 10)·3 = {w.grad.item():g}")
print(f"new w = 2 − 0.01·({w.grad.item():g}) = {(w.data - 0.01 * w.grad).item():.2f}")
