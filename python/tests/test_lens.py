"""Run.to_transformer_lens(): TransformerLens' logits equal modgrok's (where it is installed)."""
from __future__ import annotations

import numpy as np
import pytest

import modgrok
from conftest import TINY

torch = pytest.importorskip("torch")
pytest.importorskip("transformer_lens")


@pytest.mark.parametrize("size", [TINY, dict(p=23, frac=0.5)])
def test_hooked_transformer_logits_equal_modgroks(tmp_path, size):
    run = modgrok.train(steps=200, no_stop=True, out=tmp_path / "r", progress=False, **size)
    train, test = run.split()
    tokens = np.concatenate([train.tokens, test.tokens])
    model = run.to_transformer_lens()
    with torch.no_grad():
        theirs = model(torch.from_numpy(tokens))[:, -1].numpy()
    ours = modgrok.forward(run.weights(), tokens)
    diff = np.abs(theirs - ours).max()
    print(f"max |TransformerLens - modgrok| = {diff:.3g} over {len(tokens)} inputs, p = {run.config['p']}")
    # Both float32, summed in different orders: 1e-5 of the largest logit.
    assert diff <= 1e-5 * np.abs(ours).max()
