"""Every ``glassnet`` subcommand against a table of bad inputs: one message, exit code 2,
never a Python traceback. Anything else that escapes is reported as a bug in one line
(exit code 1); ``--debug`` shows the traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from glassnet import cli
from glassnet.training import recipes


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A small saved model and a folder of hostile inputs, shared by the whole table."""
    root = tmp_path_factory.mktemp("cli")
    model = recipes.build_mlp(2, [4], 2, "relu", 0)
    model.compile("adam", "cross_entropy", ["accuracy"]).save(root / "model.gn")
    texts = {
        "empty.gn": "",
        "text.gn": "not a model",
        "inf.csv": "a,b,y\n1,2,0\n3,4,inf\n5,6,1\n",
        "big.csv": "a,b,y\n1,2,0\n3,4,1e39\n5,6,1\n",
        "infx.csv": "a,b\n1,inf\n",
        "words.csv": "a,b,y\n1,red,0\n",
        "three.csv": "a,b,c\n1,2,3\n",
        "ragged.csv": "a,b\n1,2\n3\n",
        "good.csv": "a,b\n1,2\n",
        "semicolon.csv": "a;b;y\n1;2;0\n",
        "history.csv": "epoch,loss\n0,abc\n",
        "existing": "a file where a folder belongs",
        "damaged.jsonl": '{"type": "search"}\n',
    }
    for name, text in texts.items():
        (root / name).write_text(text)
    (root / "folder").mkdir()
    return root


TABLE = [  # (arguments; {} is the fixture folder), text the one message must hold
    ("train --dataset {}/inf.csv --target y", "row 3, column 'y' is not a finite number"),
    ("train --dataset {}/big.csv --target y", "row 3, column 'y' overflows float32"),
    ("train --dataset {}/words.csv --target y", "non-numeric value in row 2, column 'b'"),
    ("train --dataset {}/semicolon.csv --target y", "is the delimiter ';'?"),
    ("train --dataset {}/absent.csv --target y", "cannot read the file"),
    ("train --dataset circles --out {}/existing", "--out must name a folder"),
    ("train --dataset circles --layers 100000000", "wider than 100,000 units"),
    ("train --dataset circles --layers 5000,5000,5000,5000,5000", "too large to build"),
    ("train --dataset circles --layers 8,x", "--layers must list positive sizes"),
    ("train --dataset circles --epochs 0", "--epochs must be an int ≥ 1"),
    ("train --dataset circles --batch-size 0", "--batch-size must be an int ≥ 1"),
    ("train --dataset circles --limit -5", "--limit must be an int ≥ 1"),
    ("train --dataset circles --seed -1", "--seed must be an int ≥ 0"),
    ("train --dataset circles --lr nan", "lr must be a positive number"),
    ("train --dataset circles --validation-split 1.5", "validation_split must be in [0, 1)"),
    ("train --dataset circles --activation nope", "unknown activation 'nope'"),
    ("train --dataset cifar", "unknown data set 'cifar'"),
    ("evaluate {}/empty.gn", "the file is empty"),
    ("evaluate {}/model.gn --dataset circles --seed -3", "a seed must not be negative"),
    ("predict {}/model.gn {}/infx.csv", "row 2, column 'b' is not a finite number"),
    ("predict {}/model.gn {}/three.csv", "input has 3 features"),
    ("predict {}/model.gn {}/ragged.csv", "row 3 has a different number of cells"),
    ("predict {}/model.gn {}/good.csv --output {}/folder", "Is a directory"),
    ("predict {}/text.gn {}/good.csv", "is not a glassnet model file"),
    ("summary {}/empty.gn", "the file is empty"),
    ("summary /dev/null", "this is not a regular file"),
    ("summary {}/text.gn", "is not a glassnet model file"),
    ("summary {}/folder", "this is not a regular file"),
    ("summary {}/absent.gn", "no such file"),
    ("explain {}/model.gn --input 1,2,3", "input has 3 features"),
    ("explain {}/model.gn --input 1e39,2", "--input must be finite numbers"),
    ("explain {}/model.gn --input nan,2", "--input must be finite numbers"),
    ("explain {}/model.gn --input mnist:-1", "mnist:N needs a test-image index"),
    ("explain {}/model.gn --input 1,2 --weight 9.w[0,0] --target 1", "no weight called"),
    ("explain {}/model.gn --input 1,2 --weight 0.w[0,0]", "need the true output"),
    ("plot surface --out {}/s.png --start a,b", "--start must be two finite numbers"),
    ("plot surface --out {}/s.png --start 1", "--start must be two finite numbers"),
    ("plot surface --out {}/s.png --steps 100000000", "--steps is out of range"),
    ("plot surface --out {}/s.png --lr -1", "lr must be > 0"),
    ("plot history --csv {}/history.csv --out {}/h.png", "a cell that is not a number"),
    ("plot history --csv {}/absent.csv --out {}/h.png", "no such file"),
    ("plot network --model {}/empty.gn --out {}/n.png", "the file is empty"),
    ("plot network --out {}/n.png", "--model is required"),
    ("plot activations --out {}/folder", "Is a directory"),
    ("tune --dataset circles --trials 0", "n_trials must be an int ≥ 1"),
    ("tune --dataset circles --epochs 0", "epochs must be an int ≥ 1"),
    ("tune --dataset circles --limit 0", "limit must be a positive int"),
    ("tune --dataset circles --space lr=bogus", "unknown distribution"),
    ("tune --dataset circles --space depth=uniform:1:2", "does not have"),
    ("tune --dataset circles --executor threads", "unknown --executor"),
    ("tune --dataset {}/inf.csv --target y", "is not a finite number"),
    ("tune --dataset circles --trials 1 --log {}/damaged.jsonl --resume", "line 1 has no 'seed'"),
    (
        "tune --dataset circles --trials 1 --epochs 1 --space layers=choice:100000000",
        "no trial finished ok",
    ),  # fmt: skip
    ("export {}/text.gn", "not a glassnet model file"),
    ("export {}/model.gn --input-shape 1,x", "--input-shape must be positive ints"),
    ("playground --port 0", "the port is out of range"),
    ("playground --port 70000", "the port is out of range"),
]


@pytest.mark.parametrize(("line", "expected"), TABLE, ids=[line for line, _ in TABLE])
def test_a_bad_input_is_one_message_and_exit_code_2(files, capsys, line, expected):
    argv = line.replace("{}", str(files)).split()
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == 2, err
    messages = [text for text in err.splitlines() if text.startswith("glassnet ")]
    assert messages and messages[0].startswith(f"glassnet {argv[0]}")
    assert len(messages) == 1, err  # one message (its hint may follow on its own line)
    assert expected in err


def test_every_subcommand_is_in_the_table():
    names = {line.split()[0] for line, _ in TABLE}
    parser_names = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert parser_names <= names, parser_names - names


def test_an_unexpected_exception_is_one_line_naming_a_bug(monkeypatch, capsys, files):
    def broken(args):
        raise KeyError("layers")  # what an internal slip looks like

    monkeypatch.setattr(cli, "run_summary", broken)
    assert cli.main(["summary", str(files / "model.gn")]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    assert err.startswith("glassnet summary: internal error (KeyError: 'layers'). This is a bug")
    assert "please report it at" in err and "--debug" in err
    for argv in (["--debug", "summary", "x"], ["summary", "x", "--debug"]):
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("Traceback") and 'raise KeyError("layers")' in err
        assert err.strip().endswith("with the command you ran.")


def test_ctrl_c_is_one_line_and_exit_code_130(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run_summary", interrupted)
    assert cli.main(["summary", "x"]) == 130
    assert capsys.readouterr().err == "glassnet summary: interrupted\n"


def test_warnings_print_as_one_line(files, capsys):
    log = files / "torn.jsonl"
    code = cli.main(["tune", "--dataset", "circles", "--trials", "1", "--epochs", "1",
                     "--log", str(log)])  # fmt: skip
    assert code == 0
    log.write_text(log.read_text() + '{"type": "tri')  # killed while writing a line
    code = cli.main(["tune", "--dataset", "circles", "--trials", "1", "--epochs", "1",
                     "--log", str(log), "--resume"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err and "warnings.warn" not in err
    assert f"glassnet tune: warning: random_search log '{log}': line 3 is torn" in err


@pytest.mark.parametrize(
    ("argv", "code", "text"),
    [
        (["train", "--dataset", "{}/inf.csv", "--target", "y"], 2, "is not a finite number"),
        (["summary", "{}/empty.gn"], 2, "the file is empty"),
        (["summary", "{}/empty.gn", "--debug"], 2, "Traceback"),
    ],
)
def test_the_installed_command_behaves_the_same(files, argv, code, text):
    argv = [a.replace("{}", str(files)) for a in argv]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "glassnet.cli", *argv], capture_output=True, text=True, env=env
    )
    assert done.returncode == code and text in done.stderr
    assert ("Traceback" in done.stderr) == ("--debug" in argv)
