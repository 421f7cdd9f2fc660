"""train() runs the CLI's trainer: the same bytes, progress, Ctrl-C, resume."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

import modgrok
from conftest import TINY, flags, run_cli, same_files


def test_a_python_run_has_the_bytes_of_the_same_cli_run(tmp_path, cli):
    py_run = modgrok.train(
        steps=300, no_stop=True, out=tmp_path / "py", progress=False, **TINY
    )
    done = run_cli(
        cli, "train", *flags(steps=300, no_stop=True, out=tmp_path / "cli", quiet=True, **TINY)
    )
    assert done.returncode == 0, done.stderr
    assert isinstance(py_run, modgrok.Run)
    assert py_run.report["final_step"] == 300
    assert same_files(py_run.path, tmp_path / "cli") == []


def test_the_thread_count_does_not_change_a_byte(tmp_path):
    one = modgrok.train(steps=200, no_stop=True, out=tmp_path / "t1", threads=1, progress=False, **TINY)
    two = modgrok.train(steps=200, no_stop=True, out=tmp_path / "t2", threads=2, progress=False, **TINY)
    assert same_files(one.path, two.path) == []


def test_progress_shows_step_losses_accuracies_and_rate(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # the plain bar, as without tqdm
    modgrok.train(steps=100, no_stop=True, out=tmp_path / "r", **TINY)
    err = capsys.readouterr().err
    last = err.rstrip("\n").split("\r")[-1]
    assert last.startswith("step 100/100 loss "), err
    assert "(train/test)" in last and last.rstrip("\x1b[K").endswith("steps/s"), err


def test_ctrl_c_stops_the_run_and_resume_ends_with_the_uninterrupted_bytes(tmp_path):
    steps = dict(steps=3000, no_stop=True, **TINY)
    straight = modgrok.train(out=tmp_path / "straight", progress=False, **steps)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt, match=r"modgrok\.resume\("):
            modgrok.train(out=tmp_path / "split", progress=False, **steps)
    finally:
        timer.cancel()
    split = tmp_path / "split"
    assert not (split / "final.safetensors").exists(), "the run finished before Ctrl-C"
    resumed = modgrok.resume(split, progress=False)
    assert resumed.report["resumed_from"] is not None
    assert resumed.report["final_step"] == 3000
    assert same_files(straight.path, split) == []


def test_run_reads_metrics_weights_report_and_checkpoints(tmp_path, monkeypatch):
    run = modgrok.train(steps=300, no_stop=True, out=tmp_path / "r", progress=False, **TINY)
    m = run.metrics
    assert list(m["step"]) == list(range(0, 301, 25))
    assert m["step"].dtype == np.int64 and m["test_acc"].dtype == np.float64
    assert run.config["p"] == 11 and run.config["d_model"] == 16
    assert run.checkpoints == [100, 200, 300]
    w = run.weights()
    assert w["embed.W_E"].shape == (16, 11 + 5) and w["embed.W_E"].dtype == np.float32
    assert w["blocks.0.attn.W_Q"].shape == (2, 8, 16)
    assert set(w) == {
        "embed.W_E", "blocks.0.attn.W_Q", "blocks.0.attn.W_K", "blocks.0.attn.W_V",
        "blocks.0.attn.W_O", "blocks.0.mlp.W_in", "blocks.0.mlp.W_out", "unembed.W_U",
    }
    at_300 = run.weights(300)
    assert all(np.array_equal(w[k], at_300[k]) for k in w), "final is the step-300 model"
    assert not np.array_equal(run.weights(100)["embed.W_E"], w["embed.W_E"])
    monkeypatch.setitem(sys.modules, "pandas", None)
    plain = run.metrics
    assert isinstance(plain, dict) and np.array_equal(plain["test_loss"], m["test_loss"].to_numpy())


def test_an_error_while_waiting_stops_the_session(tmp_path, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("the bar broke")

    monkeypatch.setattr(modgrok._train._Bar, "show", broken)
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="the bar broke"):
        modgrok.train(steps=100000, no_stop=True, out=out, progress=True, **TINY)
    size = (out / "metrics.csv").stat().st_size
    time.sleep(0.3)
    assert (out / "metrics.csv").stat().st_size == size, "training went on after the error"
    assert not (out / "final.safetensors").exists()


def test_a_python_sweep_has_the_bytes_of_the_cli_sweep_and_continues_after_ctrl_c(tmp_path, cli):
    grid = dict(ops=["add", "subtract"], fracs=0.5, seeds="0-1", steps=2000, no_stop=True,
                **{k: v for k, v in TINY.items() if k not in ("frac",)})
    done = run_cli(cli, "sweep", *flags(out=tmp_path / "cli", quiet=True, **grid))
    assert done.returncode == 0, done.stderr
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt, match="call modgrok.sweep with the same arguments"):
            modgrok.sweep(out=tmp_path / "py", progress=False, **grid)
    finally:
        timer.cancel()
    finished = [r for r in (tmp_path / "py").iterdir() if (r / "report.json").exists()]
    assert len(finished) < 4, "the sweep finished before Ctrl-C"
    runs = modgrok.sweep(out=tmp_path / "py", progress=False, **grid)
    assert [r.path.name for r in runs] == [
        "add_p11_f0.5_s0", "add_p11_f0.5_s1", "subtract_p11_f0.5_s0", "subtract_p11_f0.5_s1",
    ]
    for r in runs:
        assert same_files(tmp_path / "cli" / r.path.name, r.path) == []


def test_a_sweep_with_a_failing_run_raises_the_clis_message(tmp_path):
    (tmp_path / "s" / "add_p11_f0.5_s0").mkdir(parents=True)
    (tmp_path / "s" / "add_p11_f0.5_s0" / "config.json").write_text("{}")
    with pytest.raises(OSError, match="config.json"):
        modgrok.sweep(ops="add", fracs=0.5, p=11, out=tmp_path / "s", progress=False, steps=10)


def test_report_is_the_clis_report_csv(tmp_path, cli):
    runs = modgrok.sweep(ops="add", fracs=0.5, seeds="0-1", out=tmp_path / "s", progress=False,
                         steps=50, **{k: v for k, v in TINY.items() if k != "frac"})
    table = modgrok.report(tmp_path / "s")
    done = run_cli(cli, "report", str(tmp_path / "s"), "--quiet")
    assert done.returncode == 0, done.stderr
    import pandas as pd

    want = pd.read_csv(tmp_path / "s" / "report.csv")
    assert table.equals(want)
    assert list(table["run"]) == [r.path.name for r in runs]
    assert list(table["final_step"]) == [50, 50]
