"""A run directory read from Python."""
from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from . import _modgrok

PathLike = Union[str, "os.PathLike[str]"]

_CHECKPOINT = re.compile(r"^step_(\d{7,})\.safetensors$")


class Run:
    """A run directory written by ``modgrok train`` or :func:`modgrok.train`.

    - ``config``: ``config.json`` as a dict;
    - ``metrics``: ``metrics.csv`` as a pandas DataFrame where pandas is installed, else a dict
      of numpy arrays (``step`` int64, the rest float64);
    - ``report``, ``analysis``: ``report.json`` and ``analysis.json`` as dicts (None before the
      run has finished, or when the run was too large for the automatic analysis);
    - ``checkpoints``: the steps of the model checkpoints kept;
    - ``weights(step=None)``: the final model, or the checkpoint at ``step``, as a dict of
      float32 arrays named as in the reference state dict (``embed.W_E`` [d_model, d_vocab], …).
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        if not (self.path / "config.json").is_file():
            raise FileNotFoundError(
                f"{self.path} is not a run directory (it has no config.json): "
                "pass the out of modgrok.train or the --out of `modgrok train`"
            )

    def __repr__(self) -> str:
        c = self.config
        return f"Run({str(self.path)!r}: {c['op']} p={c['p']} frac={c['frac']} seed={c['seed']})"

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    @property
    def config(self) -> dict[str, Any]:
        return json.loads((self.path / "config.json").read_text())

    @property
    def report(self) -> Optional[dict[str, Any]]:
        return _json_or_none(self.path / "report.json")

    @property
    def analysis(self) -> Optional[dict[str, Any]]:
        return _json_or_none(self.path / "analysis.json")

    @property
    def metrics(self) -> Any:
        with open(self.path / "metrics.csv", newline="") as f:
            return _table(list(csv.reader(f)))

    def over_training(
        self,
        *,
        ffs_eps: Optional[float] = None,
        key_threshold: Optional[float] = None,
        threads: Optional[int] = None,
    ) -> Any:
        """``modgrok analyze --over-training``'s table, written nowhere: one row per model
        checkpoint and the final model (restricted and excluded loss with the final model's key
        frequencies, losses, accuracies, FFS, FCR, weight norm). A DataFrame, or a dict of numpy
        arrays without pandas. Train with ``keep_checkpoints=0, checkpoint_every=N`` to keep
        every checkpoint."""
        text = _modgrok.over_training(
            os.fspath(self.path), ffs_eps=ffs_eps, key_threshold=key_threshold, threads=threads
        )
        return _table(list(csv.reader(io.StringIO(text))))

    @property
    def checkpoints(self) -> list[int]:
        folder = self.path / "checkpoints"
        if not folder.is_dir():
            return []
        found = (_CHECKPOINT.match(f.name) for f in folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def model_file(self, step: Optional[int] = None) -> Path:
        """``final.safetensors``, or the checkpoint at ``step``."""
        if step is None:
            return self.path / "final.safetensors"
        return self.path / "checkpoints" / f"step_{step:07d}.safetensors"

    def weights(self, step: Optional[int] = None) -> dict[str, np.ndarray]:
        """The model's tensors, checked against this run's config as ``modgrok analyze`` does."""
        path = self.model_file(step)
        if step is None and not path.is_file():
            raise FileNotFoundError(
                f"{path}: the run has not finished; continue it with modgrok.resume, or read a "
                f"checkpoint with weights(step) (this run keeps {self.checkpoints})"
            )
        if step is not None and not path.is_file():
            raise FileNotFoundError(
                f"{path}: no checkpoint at step {step}; this run keeps {self.checkpoints}"
            )
        _, _, tensors = _modgrok.read_model(os.fspath(path))
        return _arrays(tensors)

    def split(self) -> Any:
        """The run's train and test examples (:func:`modgrok.split`)."""
        from ._api import split

        c = self.config
        return split(c["op"], c["p"], c["frac"], c["seed"], pairs=c.get("pairs", "field"))

    def to_transformer_lens(self, step: Optional[int] = None, device: Any = None) -> Any:
        """The model as a TransformerLens ``HookedTransformer`` (:func:`modgrok.to_transformer_lens`)."""
        from ._lens import to_transformer_lens

        return to_transformer_lens(self.weights(step), device=device)


def _table(rows: list[list[str]]) -> Any:
    """A CSV's rows (header first; a torn last line left out) as a DataFrame, or a dict of
    numpy arrays without pandas: ``step`` int64, the rest float64."""
    header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
    columns = {
        name: np.array([r[i] for r in body], dtype=np.int64 if name == "step" else np.float64)
        for i, name in enumerate(header)
    }
    try:
        import pandas as pd
    except ImportError:
        return columns
    return pd.DataFrame(columns)


def _json_or_none(path: Path) -> Optional[dict[str, Any]]:
    return json.loads(path.read_text()) if path.is_file() else None


def _arrays(tensors: list) -> dict[str, np.ndarray]:
    return {
        name: np.frombuffer(data, dtype="<f4").reshape(shape).copy()
        for name, shape, data in tensors
    }
