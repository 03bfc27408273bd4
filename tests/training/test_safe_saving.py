"""Saving never leaves a half-written file: glassnet._files.write_atomically and its users."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import glassnet as gn
from glassnet import _files, nn
from glassnet.training.callbacks import ModelCheckpoint


def temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(_files.SUFFIX))


def small_model(seed=0):
    return gn.Sequential([nn.Dense(3, 4, seed=seed), nn.ReLU(), nn.Dense(4, 1, seed=seed)])


def test_each_save_uses_its_own_recognisable_temporary_file(tmp_path):
    target, seen = tmp_path / "m.gn", []
    for _ in range(2):  # what the folder holds while the bytes are being written
        _files.write_atomically(target, lambda file: seen.append(temps(tmp_path)))
    assert [len(names) for names in seen] == [1, 1] and seen[0] != seen[1]
    assert all(n[0].startswith(f".m.gn.{_files._HOST}-{os.getpid()}.") for n in seen)
    assert temps(tmp_path) == [] and target.read_bytes() == b""


def test_a_failing_write_removes_its_temporary_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "m.gn"
    target.write_bytes(b"old")

    def broken(file):
        file.write(b"half of the new")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        _files.write_atomically(target, broken)
    assert target.read_bytes() == b"old"
    assert temps(tmp_path) == []


class Unregistered(nn.Module):
    def forward(self, x):
        return x


def test_a_model_that_cannot_be_saved_leaves_the_old_file(tmp_path):
    target = tmp_path / "m.gn"
    small_model().save(target)
    before = target.read_bytes()
    with pytest.raises(gn.errors.ConfigError, match="Unregistered is not registered"):
        gn.Sequential([nn.Dense(3, 1), Unregistered()]).save(target)
    assert target.read_bytes() == before and temps(tmp_path) == []


def test_stale_temporaries_are_removed_by_the_next_save_fresh_ones_kept(tmp_path):
    old = tmp_path / f".m.gn.otherhost-1.abcd1234{_files.SUFFIX}"
    fresh = tmp_path / f".m.gn.otherhost-2.efgh5678{_files.SUFFIX}"
    unrelated = tmp_path / ".notes.tmp"
    for path in (old, fresh, unrelated):
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    small_model().save(tmp_path / "m.gn")
    assert not old.exists() and fresh.exists() and unrelated.exists()


def test_a_temporary_of_a_dead_process_on_this_host_is_removed_at_once(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid is now free
    orphan = tmp_path / f".m.gn.{_files._HOST}-{child.pid}.abcd1234{_files.SUFFIX}"
    alive = tmp_path / f".m.gn.{_files._HOST}-{os.getppid()}.abcd1234{_files.SUFFIX}"
    orphan.write_bytes(b"x")
    alive.write_bytes(b"x")
    _files.write_text(tmp_path / "m.gn", "new")
    assert not orphan.exists() and alive.exists()


def test_keeps_permissions_writes_through_symlinks_and_creates_folders(tmp_path):
    target = tmp_path / "real.gn"
    small_model().save(target)
    os.chmod(target, 0o640)
    link = tmp_path / "link.gn"
    link.symlink_to(target)
    small_model(seed=1).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    np.testing.assert_array_equal(
        gn.load_model(target).predict(np.ones((1, 3))),
        small_model(seed=1).predict(np.ones((1, 3))),
    )
    fresh = tmp_path / "new" / "deeper" / "m.gn"
    small_model().save(fresh)
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o666 & ~mask


def test_model_checkpoint_creates_a_missing_folder(tmp_path):
    model = small_model().compile("sgd", "mse")
    path = tmp_path / "checkpoints" / "epoch{epoch}.gn"
    model.fit(
        np.ones((4, 3)),
        np.ones((4, 1)),
        epochs=2,
        verbose=0,
        callbacks=[ModelCheckpoint(path, monitor="loss")],
    )
    assert sorted(p.name for p in path.parent.iterdir()) == ["epoch1.gn", "epoch2.gn"]


def test_threads_saving_to_one_path_leave_one_complete_file(tmp_path):
    target, x = tmp_path / "m.gn", np.ones((2, 3))
    models = [small_model(seed=i) for i in range(6)]
    outputs = [m.predict(x) for m in models]
    threads = [
        threading.Thread(target=lambda m=m: [m.save(target) for _ in range(5)]) for m in models
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = gn.load_model(target).predict(x)
    assert any(np.array_equal(got, out) for out in outputs)
    assert temps(tmp_path) == []


RACER = textwrap.dedent(
    """
    import hashlib, importlib.util, sys
    spec = importlib.util.spec_from_file_location("files", sys.argv[1])
    files = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(files)
    for index in range(20):
        body = sys.argv[3].encode() * (50_000 + 997 * index)
        files.write_bytes(sys.argv[2], body + hashlib.sha256(body).digest())
    """
)


def test_two_processes_saving_to_one_path_leave_one_complete_file(tmp_path):
    target = tmp_path / "m.gn"
    racers = [
        subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", RACER, _files.__file__, str(target), tag]
        )
        for tag in "ab"
    ]
    assert [r.wait(timeout=120) for r in racers] == [0, 0]
    assert complete(target) and target.read_bytes()[:1] in (b"a", b"b")
    assert temps(tmp_path) == []


WRITER = textwrap.dedent(
    """
    import hashlib, importlib.util, sys
    spec = importlib.util.spec_from_file_location("files", sys.argv[1])
    files = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(files)
    target, index = sys.argv[2], 0
    print("writing", flush=True)
    while True:
        index += 1
        body = bytes([index % 251]) * (200_000 + 4096 * (index % 97))
        files.write_bytes(target, body + hashlib.sha256(body).digest())
    """
)


def complete(path) -> bool:
    data = path.read_bytes()
    return len(data) > 32 and hashlib.sha256(data[:-32]).digest() == data[-32:]


def test_kill_9_during_saves_leaves_the_old_or_the_new_file(tmp_path):
    """50 writers killed with SIGKILL at random moments: the target is always complete."""
    target, rng = tmp_path / "m.gn", random.Random(0)
    body = b"first" * 1000
    _files.write_bytes(target, body + hashlib.sha256(body).digest())
    mid_write = replaced = 0
    for _ in range(50):
        before = target.read_bytes()
        writer = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", WRITER, _files.__file__, str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert writer.stdout.readline() == b"writing\n"
        time.sleep(rng.uniform(0.0, 0.05))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        mid_write += bool(temps(tmp_path))
        assert complete(target)
        replaced += target.read_bytes() != before
        body = os.urandom(64)
        _files.write_bytes(target, body + hashlib.sha256(body).digest())  # the next save
        assert temps(tmp_path) == [] and complete(target)
    print(
        f"\nkill -9 loop: 50 rounds, {mid_write} killed mid-write, {replaced} rounds had "
        "replaced the file first; the target was complete every time"
    )
    assert mid_write > 0  # the loop did hit writes in progress
