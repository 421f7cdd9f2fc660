"""split() against Python's random, forward() against a numpy forward, analyze() against the
CLI."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

import modgrok
from conftest import TINY, run_cli


def reference_split(p: int, frac: float, seed: int, d: int):
    """SPEC §2: pairs x outer, y inner over 0..d, random.seed(seed); random.shuffle."""
    pairs = [(x, y) for x in range(d) for y in range(d)]
    random.seed(seed)
    random.shuffle(pairs)
    n = int(frac * len(pairs))
    return pairs[:n], pairs[n:]


@pytest.mark.parametrize("pairs,d", [("reference", 97 + 5), ("field", 97)])
@pytest.mark.parametrize("seed", [0, 3])
def test_split_is_the_reference_shuffle(pairs, d, seed):
    train, test = modgrok.split("add", 97, 0.3, seed, pairs=pairs)
    want_train, want_test = reference_split(97, 0.3, seed, d)
    for side, want in [(train, want_train), (test, want_test)]:
        assert side.tokens.shape == (len(want), 3) and side.tokens.dtype == np.int64
        assert [tuple(r) for r in side.tokens[:, [0, 2]]] == want
        assert (side.tokens[:, 1] == 98).all(), "add's op token is p + 1"
        assert list(side.labels) == [(x + y) % 97 for x, y in want]
        assert (side.tasks == 0).all()


def test_split_gives_the_spec_vectors():
    train, _ = modgrok.split("add", 97, 0.3, 0)
    first = [tuple(r) for r in train.tokens[:10, [0, 2]]]
    assert first == [(58, 84), (31, 88), (25, 27), (23, 96), (92, 98),
                     (36, 87), (16, 72), (90, 30), (25, 81), (87, 79)]
    assert len(train.labels) == 3121
    train, _ = modgrok.split("add", 97, 0.3, 0, pairs="field")
    assert [tuple(r) for r in train.tokens[:3, [0, 2]]] == [(63, 40), (53, 60), (7, 89)]
    assert len(train.labels) == 2822


def numpy_forward(w: dict, tokens: np.ndarray) -> np.ndarray:
    """SPEC §3 in float64: the logits at the last position."""
    w = {k: v.astype(np.float64) for k, v in w.items()}
    x = w["embed.W_E"][:, tokens].transpose(1, 2, 0)  # [n, 3, d_model]
    q = np.einsum("hed,nsd->nhse", w["blocks.0.attn.W_Q"], x)
    k = np.einsum("hed,nsd->nhse", w["blocks.0.attn.W_K"], x)
    v = np.einsum("hed,nsd->nhse", w["blocks.0.attn.W_V"], x)
    d_head = q.shape[-1]
    scores = np.einsum("nhqe,nhke->nhqk", q, k) / np.sqrt(d_head)
    scores = np.where(np.tril(np.ones((3, 3), bool)), scores, -np.inf)
    a = np.exp(scores - scores.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    z = np.einsum("nhqk,nhke->nqhe", a, v).reshape(len(tokens), 3, -1)
    r = x + z @ w["blocks.0.attn.W_O"].T
    m = np.maximum(r @ w["blocks.0.mlp.W_in"].T, 0.0)
    r = r + m @ w["blocks.0.mlp.W_out"].T
    return r[:, -1] @ w["unembed.W_U"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "add11"
    return modgrok.train(steps=400, no_stop=True, out=out, progress=False, **TINY)


def test_forward_is_the_numpy_forward_and_gives_the_runs_accuracy(tiny_run):
    w = tiny_run.weights()
    train, test = tiny_run.split()
    tokens = np.concatenate([train.tokens, test.tokens])
    logits = modgrok.forward(w, tokens)
    want = numpy_forward(w, tokens)
    assert logits.shape == (len(tokens), 16) and logits.dtype == np.float32
    # float32 against float64, sums of at most d_mlp = 32 products: 1e-4 of the largest logit.
    assert np.abs(logits - want).max() <= 1e-4 * np.abs(want).max()
    last = tiny_run.metrics.iloc[-1]
    for side, col in [(train, "train_acc"), (test, "test_acc")]:
        acc = (modgrok.forward(w, side.tokens).argmax(1) == side.labels).mean()
        assert acc == pytest.approx(last[col], abs=1e-12)
    one = modgrok.forward(w, tokens[5])
    assert one.shape == (16,) and np.array_equal(one, logits[5])


def test_analyze_equals_the_cli_and_the_weights_form(tiny_run, cli):
    a = modgrok.analyze(tiny_run)
    done = run_cli(cli, "analyze", str(tiny_run.path), "--json", "--out", str(tiny_run.path / "cli_analysis"))
    assert done.returncode == 0, done.stderr
    assert a == json.loads(done.stdout)
    b = modgrok.analyze(tiny_run.weights(), p=11, op="add", frac=0.5, seed=0)
    for key in ["embedding", "neuron_logit_map", "tasks"]:
        assert b[key] == a[key], key
    assert 0.0 <= a["embedding"]["ffs"] <= 1.0
    both = modgrok.analyze(tiny_run, basis="both")
    assert "multiplicative" in both and "multiplicative" not in a


def test_over_training_is_the_clis_table(tmp_path, cli):
    run = modgrok.train(steps=300, no_stop=True, out=tmp_path / "r", progress=False, **TINY)
    table = run.over_training()
    done = run_cli(cli, "analyze", "--over-training", str(run.path), "--out", str(tmp_path / "cli"))
    assert done.returncode == 0, done.stderr
    import pandas as pd

    want = pd.read_csv(tmp_path / "cli" / "over_training.csv")
    assert list(table.columns) == list(want.columns)
    assert list(table["step"]) == [100, 200, 300]
    # The same text parsed two ways: float64 from shortest round-trip decimals, exactly.
    assert (table.to_numpy() == want.to_numpy()).all()
    last = table.iloc[-1]
    a = modgrok.analyze(run)
    assert last["restricted_loss"] == a["tasks"][0]["restricted_loss"]["train"]


def test_ops_lists_the_paper_grid_and_each_name_splits(cli):
    rows = modgrok.ops()
    done = run_cli(cli, "ops", "--json")
    assert rows == json.loads(done.stdout)
    names = [r["name"] for r in rows]
    assert {"add", "subtract", "multiply", "x2_y2"} <= set(names)
    assert sum(r["in_paper_grid"] for r in rows) == 36
    add = rows[names.index("add")]
    assert (add["token_offset"], add["category"]) == (1, "elementary")
    for r in rows:
        train, _ = modgrok.split(r["name"], 7, 0.5, 0)
        assert (train.tokens[:, 1] == 7 + r["token_offset"]).all(), r["name"]
