"""Data-parallel MNIST on MPI: the same script on every rank, each training on its share.

    mpirun -n 2 python examples/distributed_mnist.py          # 2 ranks on this machine
    mpirun -n 2 --oversubscribe python examples/distributed_mnist.py   # more ranks than cores
    python examples/distributed_mnist.py                      # also runs alone (1 rank)

Needs ``pip install 'glassnet[distributed]'`` (mpirun is then in the environment's bin/).
Run as root, Open MPI also wants ``--allow-run-as-root``. The network is W2 of the
benchmarks (784-512-512-10 ReLU, Adam). ``batch_size`` is per rank: 2 ranks of 64 take
exactly the steps of one process with batch 128. ``GLASSNET_SMOKE=1``: 2,000 images, 1 epoch,
1,000 test images.
"""

from __future__ import annotations

import os

import numpy as np

import glassnet as gn


def main(smoke: bool = False) -> dict:
    gn.distributed.init()  # join the MPI job: rank() of size()
    rank, size = gn.distributed.rank(), gn.distributed.size()
    (x, y), (x_test, y_test) = gn.data.load_mnist()
    rows, test_rows, epochs = (2_000, 1_000, 1) if smoke else (60_000, 10_000, 3)
    x = x[:rows].reshape(rows, -1) / np.float32(255)
    x_test = x_test[:test_rows].reshape(test_rows, -1) / np.float32(255)
    y_test = y_test[:test_rows]
    rng = np.random.default_rng(0)  # every rank builds the same model; rank 0's weights win
    model = gn.Sequential(
        [
            gn.nn.Dense(784, 512, seed=rng),
            gn.nn.ReLU(),
            gn.nn.Dense(512, 512, seed=rng),
            gn.nn.ReLU(),
            gn.nn.Dense(512, 10, seed=rng),
        ]
    )
    model.compile(gn.optim.Adam(lr=1e-3), "cross_entropy", metrics=["accuracy"])
    if rank == 0:
        print(f"{size} rank(s), {128 // size} rows per rank per step, global batch 128")
    history = model.fit(
        x, y[:rows], epochs=epochs, batch_size=128 // size, seed=0, verbose=2,
        validation_data=(x_test[:1_000], y_test[:1_000]),
    )  # fmt: skip
    scores = model.evaluate(x_test, y_test)  # every rank holds the same weights
    model.save("distributed_mnist.gn")  # written by rank 0 only
    if rank == 0 and size > 1:
        calls, seconds = history.allreduce["calls"], history.allreduce["seconds"]
        megabytes = history.allreduce["bytes"] / 1e6
        print(f"{calls} Allreduces of {megabytes:.2f} MB, {seconds:.1f} s inside them")
    if rank == 0:
        print(f"test accuracy {scores['accuracy']:.2%}")
    return {"test_accuracy": scores["accuracy"], "history": history}


if __name__ == "__main__":
    main(smoke=os.environ.get("GLASSNET_SMOKE") == "1")
