"""Keyword arguments as ``modgrok train`` flags."""
from __future__ import annotations

import os
from typing import Any


def to_flags(**kwargs: Any) -> list[str]:
    """``steps=200`` → ``--steps 200``; ``no_stop=True`` → ``--no-stop``; False and None are
    left out; a list or tuple becomes a comma list (``op=["add", "subtract"]``)."""
    flags: list[str] = []
    for key, value in kwargs.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif isinstance(value, (list, tuple)):
            flags += [flag, ",".join(str(v) for v in value)]
        elif isinstance(value, os.PathLike):
            flags += [flag, os.fspath(value)]
        else:
            flags += [flag, str(value)]
    return flags
