"""The speed machinery of the image ops, in one place, away from their formulas.

Design note. glassnet's ops read as formulas (``glassnet.ops``), and for the image ops a
learner's version sits beside them (``glassnet.ops.reference``: loops over kernel
positions, plain NCHW). What makes the real ones fast on a CPU, and is not part of the
math, lives here:

1. **Batch-last layout.** Image arrays keep the NCHW *shape*, but their memory is ordered
   (C, H, W, N): every pixel of a channel holds its N samples side by side. Each kernel
   position's slice of an image (in im2col, col2im and pooling) is then a run of Wo·N
   contiguous numbers instead of N·C·Ho short rows of Wo, which NumPy copies and adds
   about four times faster. The convolution's GEMM produces that layout for free (its
   columns are ordered (output row, output column, sample)); :func:`batch_last`,
   :func:`pad_batch_last` and the padded buffers keep it; Linear hands dL/dx back in it.
2. **Buffer recycling by reference count.** :func:`recycled` hands out the same large
   array (im2col's column matrix, its gradient) step after step once nothing refers to
   it any more: no fresh pages for the operating system to fault in.
3. **Keeping freed memory in the process.** glibc returns large freed blocks to the
   operating system; :func:`keep_freed_memory` raises its thresholds while glassnet
   trains (``Model.fit``) and puts them back after.
4. **Tiled windows.** When pooling windows tile the image (stride = kernel), the maxima
   are taken over a reshaped view, whole rows at a time (:func:`window_max`), and every
   input element gets exactly one gradient, so the buffer can be written instead of
   zeroed and added to (:func:`empty_padded`, :func:`add_product`).

Everything here returns the same numbers as the plain NCHW computation; the tests compare
the fast ops with their reference versions and with PyTorch.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from typing import TYPE_CHECKING

import numpy as np
from numpy.lib.stride_tricks import as_strided

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

NO_PAD = ((0, 0), (0, 0))


# ---- 1. batch-last layout --------------------------------------------------------------
def batch_last(a: np.ndarray) -> np.ndarray:
    """``a`` (N, C, H, W) stored as (C, H, W, N) in memory (a copy only when it is not
    already): elementwise work between arrays of one layout runs at memory speed, mixed
    layouts at about half of it."""
    moved = a.transpose(1, 2, 3, 0)
    return a if moved.flags.c_contiguous else np.ascontiguousarray(moved).transpose(3, 0, 1, 2)


def pad_batch_last(x: np.ndarray, pad: tuple, value: float = 0.0) -> np.ndarray:
    """x (N, C, H, W) padded with ``value``, stored batch-last (a copy unless x already is
    batch-last and needs no padding)."""
    (top, bottom), (left, right) = pad
    if not (top or bottom or left or right):
        return batch_last(x)
    N, C, H, W = x.shape
    xp = np.full((C, H + top + bottom, W + left + right, N), value, x.dtype)
    xp[:, top : top + H, left : left + W] = x.transpose(1, 2, 3, 0)
    return xp.transpose(3, 0, 1, 2)


def _padded(make, x_shape, pad, dtype) -> np.ndarray:
    N, C, H, W = x_shape
    (top, bottom), (left, right) = pad
    return make((C, H + top + bottom, W + left + right, N), dtype).transpose(3, 0, 1, 2)


def zeros_padded(x_shape, pad, dtype: DTypeLike) -> np.ndarray:
    """Zeros shaped like an (N, C, H, W) batch after padding, stored batch-last: where
    col2im and the pools' backward add gradients (``pad=NO_PAD``: an unpadded batch)."""
    return _padded(np.zeros, x_shape, pad, dtype)


def empty_padded(x_shape, pad, dtype: DTypeLike) -> np.ndarray:
    """Like :func:`zeros_padded` but UNINITIALISED: only for a caller that writes every
    element before reading any (windows that tile the image)."""
    return _padded(np.empty, x_shape, pad, dtype)


def unpad(grad_xp: np.ndarray, x_shape, pad) -> np.ndarray:
    """The unpadded (N, C, H, W) part of a padded gradient (a view)."""
    (top, _), (left, _) = pad
    return grad_xp[:, :, top : top + x_shape[2], left : left + x_shape[3]]


def kernel_slice(p: int, q: int, stride, dilation, out) -> tuple:
    """The slices of the padded input that kernel position (p, q) reads, for all outputs."""
    (sh, sw), (dh, dw), (Ho, Wo) = stride, dilation, out
    return (
        slice(None),
        slice(None),
        slice(p * dh, p * dh + sh * (Ho - 1) + 1, sh),
        slice(q * dw, q * dw + sw * (Wo - 1) + 1, sw),
    )


# ---- convolution as one GEMM: im2col and col2im in the batch-last order ----------------
def im2col(x: np.ndarray, kernel, stride, pad, dilation, out, ones_row: bool) -> np.ndarray:
    """cols[(c, p, q), (i, j, n)] = x̃[n, c, i·sh + p·dh, j·sw + q·dw] (x̃ = x zero-padded),
    with a last row of ones when ``ones_row`` (the bias's input). The windows are a
    strided view of x̃ (no copy); one copy lays them out, into a recycled buffer."""
    N, C = x.shape[:2]
    xp = pad_batch_last(x, pad)
    sn, sc, sh, sw = xp.strides
    view = as_strided(  # view[n, c, i, j, p, q] = x̃[n, c, i·sh + p·dh, j·sw + q·dw]
        xp,
        shape=(N, C, *out, *kernel),
        strides=(sn, sc, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1]),
        writeable=False,
    )
    K = C * kernel[0] * kernel[1]
    cols = recycled((K + ones_row, N * out[0] * out[1]), x.dtype)
    np.copyto(cols[:K].reshape(C, *kernel, *out, N), view.transpose(1, 4, 5, 2, 3, 0))
    if ones_row:
        cols[K] = 1
    return cols


def image_from_columns(y2: np.ndarray, out) -> np.ndarray:
    """The GEMM result y₂ (O, Ho·Wo·N) as an (N, O, Ho, Wo) image batch: a batch-last view."""
    return y2.reshape(y2.shape[0], *out, -1).transpose(3, 0, 1, 2)


def columns_from_image(grad_y: np.ndarray) -> np.ndarray:
    """dL/dy (N, O, Ho, Wo) as grad_y₂ (O, Ho·Wo·N): no copy when it is batch-last."""
    return grad_y.transpose(1, 2, 3, 0).reshape(grad_y.shape[1], -1)


def matmul_recycled(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b written into a recycled buffer (the column gradient of a convolution)."""
    return np.matmul(a, b, out=recycled((a.shape[0], b.shape[1]), b.dtype))


def col2im(grad_cols: np.ndarray, x_shape, kernel, stride, pad, dilation, out) -> np.ndarray:
    """dL/dx from dL/dcols: for each kernel position (p, q), add its rows back onto the
    input pixels they were read from; the padding's share is cut off at the end."""
    N, C = x_shape[:2]
    grad_cols = grad_cols.reshape(C, *kernel, *out, N)
    grad_xp = zeros_padded(x_shape, pad, grad_cols.dtype)
    for p in range(kernel[0]):
        for q in range(kernel[1]):
            where = kernel_slice(p, q, stride, dilation, out)
            grad_xp[where] += grad_cols[:, p, q].transpose(3, 0, 1, 2)
    return unpad(grad_xp, x_shape, pad)


# ---- pooling windows ---------------------------------------------------------------------
def windows_tile(xp_shape, kernel, stride, out) -> bool:
    """True when the windows cover the padded image exactly once (stride = kernel, no
    leftover rows or columns): each element then belongs to exactly one window."""
    return stride == kernel and tuple(xp_shape[2:]) == tuple(o * k for o, k in zip(out, kernel))


def window_max(xp: np.ndarray, kernel, stride, out) -> np.ndarray:
    """y[n, c, i, j] = max over the window (i, j) of the padded batch-last xp.

    Windows that tile (stride = kernel): a reshape to (N, C, Ho, KH, Wo, KW), a view,
    then maxima along KH (whole image rows, long runs in this layout) and along KW on
    the smaller result, about twice as fast as maxima of KH·KW strided slices. Otherwise
    a running maximum over the kernel positions' slices."""
    (Ho, Wo), (KH, KW) = out, kernel
    N, C = xp.shape[:2]
    if stride == kernel:
        blocks = xp[:, :, : Ho * KH, : Wo * KW].reshape(N, C, Ho, KH, Wo, KW)
        rows = blocks[:, :, :, 0]
        for p in range(1, KH):
            rows = np.maximum(rows, blocks[:, :, :, p])
        y = rows[..., 0]
        for q in range(1, KW):
            y = np.maximum(y, rows[..., q])
        return y.copy(order="K") if KH == KW == 1 else y  # a 1×1 window: a copy, not a view
    y = empty_padded((N, C, Ho, Wo), NO_PAD, xp.dtype)
    np.copyto(y, xp[kernel_slice(0, 0, stride, (1, 1), out)])
    for p, q in [(p, q) for p in range(KH) for q in range(KW)][1:]:
        np.maximum(y, xp[kernel_slice(p, q, stride, (1, 1), out)], out=y)
    return y


def matmul_t_like(grad_y: np.ndarray, w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """grad_y @ wᵀ (Linear's dL/dx) in x's memory layout: a flattened batch-last image
    batch is stored as xᵀ, so it gets (w @ grad_yᵀ)ᵀ and the layers below it keep one
    layout."""
    if x.ndim == 2 and x.T.flags.c_contiguous:
        return (w @ grad_y.T).T
    return grad_y @ w.T


def add_product(buffer: np.ndarray, where: tuple, a: np.ndarray, b, fresh: bool) -> None:
    """buffer[where] += a ⊙ b. With ``fresh`` (the slices of ``where`` never overlap
    and ``buffer`` is uninitialised) the product is written in place, no temporary."""
    if fresh:
        np.multiply(a, b, out=buffer[where])
    else:
        buffer[where] += a * b


# ---- 2. buffer recycling by reference count ----------------------------------------------
_SPARE: dict[tuple, list[np.ndarray]] = {}
_RECYCLE_BYTES = 32 * 2**20  # below this, malloc reuses freed memory by itself
_SPARE_BYTES = 512 * 2**20  # the most memory kept for reuse


def _references(spare: list, index: int) -> int:
    return sys.getrefcount(spare[index])


#: What _references counts for an array that only its spare list holds (measured, not
#: assumed, since the count of temporary references differs between Python versions).
_UNUSED = _references([np.empty(0)], 0)


def recycled(shape: tuple, dtype: DTypeLike) -> np.ndarray:
    """An uninitialised array, reusing one of an earlier call's once nothing refers to it.

    im2col's column matrix and its gradient are the largest arrays of a step (85 MB each
    for mnist_cnn's second layer). Freshly allocated, every one costs the operating system
    a page fault per 4 KB, about a fifth of a training step in all; handing the same
    memory out again skips that. An array is reused only when no tensor, op or view holds
    it any more (its reference count says so), so results never change; at most two
    arrays per shape, and 512 MB in all, are kept.
    """
    dtype = np.dtype(dtype)
    if int(np.prod(shape)) * dtype.itemsize < _RECYCLE_BYTES:
        return np.empty(shape, dtype)
    spare = _SPARE.setdefault((tuple(shape), dtype.str), [])
    for index in range(len(spare)):
        if _references(spare, index) == _UNUSED:
            return spare[index]
    array = np.empty(shape, dtype)
    kept = sum(a.nbytes for arrays in _SPARE.values() for a in arrays)
    if len(spare) < 2 and kept + array.nbytes <= _SPARE_BYTES:
        spare.append(array)
    return array


# ---- 3. glibc's malloc thresholds while training -----------------------------------------
M_TRIM_THRESHOLD = -1  # keep up to this many free bytes at the top of the heap
M_MMAP_THRESHOLD = -3  # serve requests below this size from the heap, not mmap
KEEP = 1 << 30  # 1 GiB: larger than any per-step temporary of a laptop-sized model
AFTER_FIT = 32 * 2**20  # where glibc's own adjustment tops out (its 64-bit mmap maximum)
_lock = threading.Lock()
_active = 0  # how many keep_freed_memory blocks are open (fit may run in threads)


def _mallopt():
    """glibc's mallopt, or None (not Linux, not glibc, or GLASSNET_KEEP_FREED_MEMORY=0)."""
    if not sys.platform.startswith("linux") or os.environ.get("GLASSNET_KEEP_FREED_MEMORY") == "0":
        return None
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return None
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt


def _set_thresholds(mallopt, value: int) -> bool:
    return bool(mallopt(M_MMAP_THRESHOLD, value)) and bool(mallopt(M_TRIM_THRESHOLD, value))


@contextlib.contextmanager
def keep_freed_memory():
    """Inside the block, keep freed large arrays in the process; yields True when tuned.

    glibc serves requests above a threshold (at most 32 MiB) with fresh ``mmap`` pages and
    returns them to the operating system on ``free``. A convolution's im2col matrix (85 MiB
    for mnist_cnn at batch 128) is allocated and freed every step, so every step
    page-faulted ~37 MB back in: about a quarter of a W3 step's time. Raising the mmap
    and trim thresholds to 1 GiB keeps those pages in the heap; peak memory is unchanged,
    since the same sizes are reused step after step (PyTorch's caching allocator solves
    the same problem). ``Model.fit`` enters this block; on leaving the last open block
    the thresholds go to 32 MiB and ``malloc_trim`` hands the kept pages back. Not back
    to glibc's start values (128 KiB): once set by mallopt, glibc stops raising them by
    itself (as it does, up to 32 MiB, each time a large block is freed), and with 128 KiB
    for good, small temporaries are trimmed and faulted in again and again: the
    hand-written NumPy loop of W1 ran 1.7× slower after a ``fit`` in the same process.
    Set ``GLASSNET_KEEP_FREED_MEMORY=0`` to leave malloc alone.
    """
    global _active
    mallopt = _mallopt()
    if mallopt is None:
        yield False
        return
    with _lock:
        _active += 1
        tuned = _active > 1 or _set_thresholds(mallopt, KEEP)
    try:
        yield tuned
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                _set_thresholds(mallopt, AFTER_FIT)
                ctypes.CDLL(None).malloc_trim(0)
