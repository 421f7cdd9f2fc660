"""modgrok from Python: train the paper's one-layer transformers on ``x ∘ y mod p`` with
modgrok's bit-reproducible trainer, read runs as numpy arrays and pandas frames, and hand a
model to TransformerLens.

>>> import modgrok
>>> run = modgrok.train(op="add", p=11, frac=0.5, steps=200, out="runs/add11")
>>> run.metrics.tail()
>>> train, test = modgrok.split("add", 11, 0.5, seed=0)
>>> logits = modgrok.forward(run.weights(), test.tokens)

A run trained here has the same bytes as one trained by ``modgrok train`` with the same flags.
Errors arrive with the CLI's one-line messages: ``ValueError`` for bad arguments, ``OSError``
for missing, damaged or foreign files, ``RuntimeError`` for a failure of the machine.
"""
from ._modgrok import __version__
from ._api import Examples, analyze, forward, ops, report, split
from ._lens import to_transformer_lens
from ._run import Run
from ._train import resume, sweep, train

__all__ = [
    "Examples",
    "Run",
    "__version__",
    "analyze",
    "forward",
    "ops",
    "report",
    "resume",
    "split",
    "sweep",
    "to_transformer_lens",
    "train",
]
