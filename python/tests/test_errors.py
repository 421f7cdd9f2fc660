"""Bad arguments raise ValueError or OSError with the CLI's one-line message; nothing aborts
the interpreter."""
from __future__ import annotations

import numpy as np
import pytest

import modgrok
from conftest import TINY, flags, run_cli


@pytest.mark.parametrize(
    "kwargs,pattern",
    [
        (dict(op="nope"), "unknown operation"),
        (dict(p=12), "prime"),
        (dict(frac=1.5), "frac"),
        (dict(frac=0.0), "frac"),
        (dict(grokfast="fast"), "grokfast"),
        (dict(bogus_flag=3), "--bogus-flag"),
        (dict(threads=0), "threads"),
    ],
)
def test_bad_training_arguments_raise_value_error(tmp_path, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern) as e:
        modgrok.train(out=tmp_path / "r", progress=False, **{**TINY, **kwargs})
    assert "\n" not in str(e.value)
    assert not (tmp_path / "r").exists()


def test_the_message_is_the_clis(tmp_path, cli):
    with pytest.raises(ValueError) as e:
        modgrok.train(op="nope", p=11, out=tmp_path / "r", progress=False)
    done = run_cli(cli, "train", "--op", "nope", "--p", "11", "--out", str(tmp_path / "r"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {e.value}"


def test_an_existing_out_is_file_exists_error(tmp_path):
    modgrok.train(steps=10, out=tmp_path / "r", progress=False, **TINY)
    with pytest.raises(FileExistsError, match="--resume"):
        modgrok.train(steps=10, out=tmp_path / "r", progress=False, **TINY)


def test_damaged_and_missing_files_are_os_errors(tmp_path):
    run = modgrok.train(steps=100, no_stop=True, out=tmp_path / "r", progress=False, **TINY)
    with pytest.raises(FileNotFoundError, match="not a run directory"):
        modgrok.Run(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="no checkpoint at step 7"):
        run.weights(7)
    data = run.model_file().read_bytes()
    run.model_file().unlink()
    with pytest.raises(FileNotFoundError, match="has not finished"):
        run.weights()
    run.model_file().write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match="final.safetensors"):
        run.weights()
    with pytest.raises(OSError, match="final.safetensors"):
        modgrok.analyze(run)
    with pytest.raises(FileNotFoundError, match="not a run directory"):
        modgrok.resume(tmp_path / "nothing", progress=False)


def test_bad_arrays_raise_value_error(tmp_path):
    run = modgrok.train(steps=10, out=tmp_path / "r", progress=False, **TINY)
    w = run.weights()
    with pytest.raises(ValueError, match="not below d_vocab = 16"):
        modgrok.forward(w, [[0, 12, 16]])
    with pytest.raises(ValueError, match=r"\[n, 3\]"):
        modgrok.forward(w, [[0, 12]])
    with pytest.raises(ValueError, match="lack unembed.W_U"):
        modgrok.forward({k: v for k, v in w.items() if k != "unembed.W_U"}, [[0, 12, 1]])
    with pytest.raises(ValueError, match="W_O has shape"):
        modgrok.forward({**w, "blocks.0.attn.W_O": np.zeros((3, 3), np.float32)}, [[0, 12, 1]])
    with pytest.raises(ValueError, match="unknown tensor"):
        modgrok.forward({**w, "extra": np.zeros(1)}, [[0, 12, 1]])
    with pytest.raises(ValueError, match="give p"):
        modgrok.analyze(w)
    with pytest.raises(ValueError, match="d_vocab"):
        modgrok.analyze(w, p=13)
    with pytest.raises(ValueError, match="basis"):
        modgrok.analyze(run, basis="bogus")
    with pytest.raises(ValueError, match="prime"):
        modgrok.split("add", 12, 0.3, 0)
