"""The split, core's forward and the Fourier analysis as functions of arrays."""
from __future__ import annotations

import json
import os
from typing import Any, Mapping, NamedTuple, Optional, Union

import numpy as np

from . import _modgrok
from ._flags import to_flags


def ops() -> list[dict[str, Any]]:
    """Every named operation (``modgrok ops --json``): ``name``, the paper's ``formula``, the
    ``expr`` modgrok evaluates, the op ``token`` and its ``token_offset`` from p, the paper's
    ``category``, the ``pairs`` it admits, and ``in_paper_grid`` (run by the Table 5 grid). Any
    ``name`` or ``expr`` can be given as ``op``."""
    return json.loads(_modgrok.ops_json())


class Examples(NamedTuple):
    """One side of a split, task-major as the trainer holds it."""

    tokens: np.ndarray
    """``[n, 3]`` int64: ``x``, the op token, ``y``."""
    labels: np.ndarray
    """``[n]`` int64: ``x ∘ y mod p``."""
    tasks: np.ndarray
    """``[n]`` int64: the task of a mixture (all 0 for one op)."""


def split(
    op: Union[str, list[str]] = "add",
    p: int = 97,
    frac: float = 0.3,
    seed: int = 0,
    pairs: str = "reference",
) -> tuple[Examples, Examples]:
    """The train and test examples of the run ``modgrok train --op op --p p --frac frac --seed
    seed --pairs pairs`` trains on (SPEC §2): ``pairs="reference"`` draws both operands from
    every token id ``0..p+5`` as the published code does, ``"field"`` from ``0..p``."""
    train, test = _modgrok.split(to_flags(op=op, p=p, frac=frac, seed=seed, pairs=pairs))
    return _examples(train), _examples(test)


def _examples(side: tuple[bytes, bytes, bytes]) -> Examples:
    tokens, labels, tasks = (np.frombuffer(b, dtype="<i8").astype(np.int64) for b in side)
    return Examples(tokens.reshape(-1, 3), labels, tasks)


def _tensors(weights: Mapping[str, Any]) -> list[tuple[str, list[int], bytes]]:
    out = []
    for name, w in weights.items():
        a = np.ascontiguousarray(np.asarray(w), dtype="<f4")
        out.append((name, list(a.shape), a.tobytes()))
    return out


def forward(weights: Mapping[str, Any], tokens: Any) -> np.ndarray:
    """Core's forward: the logits at the last position, float32 ``[n, d_vocab]`` for tokens
    ``[n, 3]`` (``[d_vocab]`` for one input ``[3]``).

    ``weights`` maps the reference's tensor names (``embed.W_E``, ``blocks.0.attn.W_Q``, …,
    ``unembed.W_U``, as :meth:`Run.weights` returns) to arrays; the dimensions are read off
    their shapes. Anything numpy can convert works, a CPU torch state dict included.
    """
    t = np.asarray(tokens)
    one = t.ndim == 1
    if t.ndim not in (1, 2) or t.shape[-1] != 3 or (t.size and t.dtype.kind not in "iu"):
        raise ValueError(
            f"tokens must be integers of shape [n, 3] or [3] (x, op, y), not {t.dtype} {list(t.shape)}"
        )
    t = np.ascontiguousarray(t.reshape(-1, 3), dtype="<i8")
    data, d_vocab = _modgrok.forward(_tensors(weights), t.tobytes())
    logits = np.frombuffer(data, dtype="<f4").reshape(-1, d_vocab).copy()
    return logits[0] if one else logits


def analyze(
    model: Any,
    p: Optional[int] = None,
    op: Union[str, list[str]] = "add",
    frac: float = 0.3,
    seed: int = 0,
    pairs: str = "reference",
    *,
    ffs_eps: Optional[float] = None,
    key_threshold: Optional[float] = None,
    basis: Optional[str] = None,
    threads: Optional[int] = None,
) -> dict[str, Any]:
    """``modgrok analyze``'s numbers (the ``analysis.json`` fields) as a dict, writing nothing.

    ``model`` is a :class:`Run` or a path (the run's final model, or a model file, analysed with
    its run's config), or a dict of weights, analysed as a model of ``op`` at ``p`` whose train
    set is that of ``frac``, ``seed`` and ``pairs``. ``basis`` is ``additive``,
    ``multiplicative`` or ``both`` (default: both for the multiplicative family).
    """
    settings = dict(ffs_eps=ffs_eps, key_threshold=key_threshold, basis=basis, threads=threads)
    if isinstance(model, Mapping):
        if p is None:
            raise ValueError("analyze(weights, p): give p, the modulus the weights were trained on")
        flags = to_flags(op=op, p=p, frac=frac, seed=seed, pairs=pairs)
        text = _modgrok.analyze_weights(_tensors(model), flags, **settings)
    else:
        text = _modgrok.analyze_file(os.fspath(model), **settings)
    return json.loads(text)


def report(dir: Union[str, "os.PathLike[str]"], grok_at: Optional[float] = None) -> Any:
    """``modgrok report DIR``'s ``report.csv`` for the runs under ``dir`` (one row per run:
    op, p, frac, seed, pairs, finished, grokked, steps to memorise and grok, final and best test
    accuracy, FFS/FCR), written nowhere. A DataFrame where pandas is installed, else a list of
    dicts of strings. ``grok_at`` as ``--grok-at``."""
    import csv
    import io

    text = _modgrok.report_csv(os.fspath(dir), grok_at)
    try:
        import pandas as pd
    except ImportError:
        return list(csv.DictReader(io.StringIO(text)))
    return pd.read_csv(io.StringIO(text))
