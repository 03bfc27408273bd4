"""Image helpers for convolutional networks.

``mnist_to_images`` is the one step between ``gn.data.load_mnist()`` and a Conv2D stack:
NumPy's uint8 pixels (N, 28, 28) become float32 images (N, 1, 28, 28) in [0, 1].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.errors import DTypeError, ShapeError, fmt_shape, message

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["mnist_to_images"]


def mnist_to_images(x_uint8: ArrayLike) -> np.ndarray:
    """MNIST pixels as a float32 NCHW batch: x (N, H, W) uint8 → x / 255 as (N, 1, H, W).

    One channel axis is inserted (grey images have one channel) and the 0…255 intensities
    are scaled into [0, 1], the range the layers' initialisations expect. A single image
    (H, W) becomes a batch of one. Already-float input in [0, 1] is an error, not a silent
    second division.

    >>> import numpy as np
    >>> images = mnist_to_images(np.full((2, 28, 28), 255, dtype=np.uint8))
    >>> images.shape, images.dtype, float(images.max())
    ((2, 1, 28, 28), dtype('float32'), 1.0)
    """
    x = np.asarray(x_uint8)
    if x.dtype != np.uint8:
        raise DTypeError(
            message(
                "mnist_to_images",
                "pixels must be uint8 intensities 0…255",
                f"dtype {x.dtype}",
                "uint8 (as gn.data.load_mnist() returns them)",
                "for float images in [0, 1] only add the channel axis: x[:, None]",
            )
        )
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ShapeError(
            message(
                "mnist_to_images",
                "expected a batch of grey images (N, H, W)",
                f"x.shape={fmt_shape(x.shape)}",
                "(N, 28, 28) or (28, 28)",
            )
        )
    return x[:, None].astype(np.float32) / np.float32(255)
