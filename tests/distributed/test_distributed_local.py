"""gn.distributed in one process, without MPI started: the job-of-one defaults, the sampler,
SyncBatchNorm as plain BatchNorm, and the errors a user meets before mpirun."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.distributed.fit import _rank_zero_only
from glassnet.training.progress import ProgressBar

ROOT = Path(__file__).parents[2]


def _model():
    model = gn.Sequential(
        [gn.nn.Dense(3, 4, seed=0), gn.nn.BatchNorm(4), gn.nn.Dense(4, 2, seed=1)]
    )
    return model.compile(gn.optim.SGD(lr=0.1), "cross_entropy")


def test_without_init_the_process_is_a_job_of_one():
    assert (gn.distributed.rank(), gn.distributed.size()) == (0, 1)
    assert not gn.distributed.is_initialized()
    with pytest.raises(gn.ConfigError, match=r"MPI is not initialised in this process\.\n  hint"):
        gn.distributed.comm()


def test_fit_distributed_true_without_init_is_a_config_error():
    x, y = np.zeros((8, 3), np.float32), np.zeros(8, int)
    with pytest.raises(gn.ConfigError, match=r"gn\.distributed\.init\(\) was not called"):
        _model().fit(x, y, distributed=True, verbose=0)
    with pytest.raises(
        gn.ConfigError, match=r"distributed must be True, False or None\. Got 'yes'"
    ):
        _model().fit(x, y, distributed="yes", verbose=0)


def test_fit_distributed_false_is_the_ordinary_fit(rng):
    x, y = rng.normal(size=(20, 3)).astype(np.float32), rng.integers(0, 2, 20)
    a, b = _model(), _model()
    a.fit(x, y, batch_size=4, epochs=2, seed=1, verbose=0)
    b.fit(x, y, batch_size=4, epochs=2, seed=1, verbose=0, distributed=False)
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key], value)


@pytest.mark.parametrize("n, batch, size", [(37, 4, 3), (33, 8, 2), (16, 8, 2), (5, 4, 2)])
def test_global_batches_give_each_row_once_in_the_single_process_order(n, batch, size):
    order = np.random.default_rng(n).permutation(n)
    per_rank = [list(gn.distributed.global_batches(order, batch, r, size)) for r in range(size)]
    assert len({len(steps) for steps in per_rank}) == 1  # the collectives pair up
    for step, start in enumerate(range(0, n, batch * size)):
        rows = np.concatenate([per_rank[r][step][0] for r in range(size)])
        np.testing.assert_array_equal(rows, order[start : start + batch * size])
        assert {per_rank[r][step][1] for r in range(size)} == {len(rows)}
    shards = [gn.distributed.shard_rows(n, r, size) for r in range(size)]
    np.testing.assert_array_equal(np.concatenate(shards), np.arange(n))


def test_sync_batchnorm_alone_is_batchnorm_and_conversion_shares_the_weights(tmp_path, rng):
    model, x = _model(), rng.normal(size=(6, 3)).astype(np.float32)
    before, gamma = model(x).data, model[1].gamma
    assert gn.distributed.convert_sync_batchnorm(model) == 1
    assert type(model[1]) is gn.distributed.SyncBatchNorm and model.layers[1] is model[1]
    assert model[1].gamma is gamma and str(model[1]) == "SyncBatchNorm(4)"
    np.testing.assert_array_equal(model(x).data, before)
    model.save(tmp_path / "m.gn")
    loaded = gn.load_model(tmp_path / "m.gn")
    assert type(loaded[1]) is gn.distributed.SyncBatchNorm
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_progress_logs_and_checkpoints_run_on_rank_zero_only(tmp_path):
    assert _rank_zero_only(ProgressBar(1))
    assert _rank_zero_only(gn.callbacks.CSVLogger(tmp_path / "log.csv"))
    assert _rank_zero_only(gn.callbacks.ModelCheckpoint(tmp_path / "m.gn"))
    assert not _rank_zero_only(gn.callbacks.EarlyStopping())
    mine = gn.callbacks.Callback()
    mine.rank_zero_only = True
    assert _rank_zero_only(mine)


def test_distributed_optimizer_needs_bound_parameters():
    with pytest.raises(gn.ConfigError, match=r"needs an optimizer with bound parameters\. Got"):
        gn.distributed.DistributedOptimizer(gn.optim.Adam())


def test_init_without_mpi4py_says_which_extra_to_install():
    code = "import sys; sys.modules['mpi4py'] = None; import glassnet as gn; gn.distributed.init()"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode != 0
    assert "distributed.init: mpi4py is not installed" in proc.stderr
    assert "pip install 'glassnet[distributed]'" in proc.stderr


def test_import_glassnet_does_not_start_mpi():
    code = "import sys, glassnet; print('mpi4py' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.stdout.strip() == "False"  # mpi4py (and MPI_Init) only in init()
