"""See the math: forward passes, chain-rule slopes and optimizer updates printed with numbers.

- :func:`forward` walks one data point through a model, layer by layer.
- :func:`weight` breaks one weight's gradient into the chain rule's factors and shows the
  optimizer's update.
- :func:`trace` records every op's forward and every backward step of a block of code.

In a functional model whose layers form a graph (``gn.Model(inputs, outputs)`` with
``Add``, ``Concatenate``, ``Multiply``), :func:`forward` walks the nodes in topological
order and :func:`weight` sums the slope at the weight's node over every path to the loss.

Each returns an object that prints as text (``print(e)``) and renders as Markdown
(``e.markdown()``).
"""

from glassnet.explain.forward import ForwardExplanation, forward
from glassnet.explain.trace import Trace, trace
from glassnet.explain.weight import WeightExplanation, weight

__all__ = ["ForwardExplanation", "Trace", "WeightExplanation", "forward", "trace", "weight"]
