"""Training from Python: the CLI's trainer on a worker thread, with a progress bar and Ctrl-C."""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Optional, Union

from . import _modgrok
from ._flags import to_flags
from ._run import Run

PathLike = Union[str, "os.PathLike[str]"]

# How often the waiting thread wakes to redraw the bar and let Python handle Ctrl-C.
_POLL_S = 0.1


def train(
    op: Union[str, list[str]] = "add",
    p: int = 97,
    frac: float = 0.3,
    seed: int = 0,
    out: Optional[PathLike] = None,
    *,
    threads: Optional[int] = None,
    progress: bool = True,
    **flags: Any,
) -> Run:
    """Trains a new run, as ``modgrok train`` with the same flags does, to the same bytes.

    ``flags`` are the other flags of ``modgrok train`` with underscores for dashes:
    ``steps=200``, ``no_stop=True``, ``pairs="field"``, ``grokfast="ema"``,
    ``d_model=64``, ``init_from=run.path, load="embed", freeze="embed"``, ``backend="gpu"``.
    ``out`` defaults to ``runs/<op>_p<p>_f<frac>_s<seed>`` and must not exist. ``threads``
    (default: all cores) never changes the results.

    The GIL is released while training. ``progress`` draws a bar (tqdm's where tqdm is
    installed, so also in notebooks). Ctrl-C stops after the step in progress and raises
    ``KeyboardInterrupt``; the run then continues with :func:`resume` to the bytes it would have
    had. Returns the finished :class:`Run`.
    """
    argv = to_flags(op=op, p=p, frac=frac, seed=seed, out=out, threads=threads, **flags)
    return _session(argv, progress)


def resume(path: PathLike, *, threads: Optional[int] = None, progress: bool = True) -> Run:
    """Continues the run in ``path`` from its newest checkpoint (``modgrok train --resume``)."""
    Run(path)  # FileNotFoundError where there is no run
    return _session(to_flags(resume=path, threads=threads), progress)


def sweep(
    ops: Union[str, list[str], None] = None,
    fracs: Union[float, list[float], None] = None,
    seeds: Union[int, str, list[int], None] = None,
    p: Union[int, list[int], None] = None,
    out: Optional[PathLike] = None,
    *,
    preset: Optional[str] = None,
    mixture: Union[str, list[str], list[list[str]], None] = None,
    jobs: Optional[int] = None,
    batch_runs: Union[int, str, None] = None,
    threads: Optional[int] = None,
    progress: bool = True,
    **flags: Any,
) -> list[Run]:
    """Trains a grid of runs, as ``modgrok sweep`` with the same flags does, to the same bytes.

    ``ops``, ``fracs``, ``seeds`` and ``p`` take a value or a list (``seeds="0-2"`` too);
    ``preset`` is ``table5``, ``transfer``, ``mixtures`` or ``p-sweep``; ``mixture`` is one
    mixture (``"add,subtract"`` or ``["add", "subtract"]``) or a list of them. ``jobs`` runs at
    once on the cpu; on the gpu ``batch_runs=K`` (or ``"auto"``) steps K runs in the same
    dispatches (``backend="gpu"``). Other ``flags`` as for :func:`train`.

    A run already finished is skipped and an interrupted one resumed, so calling it again after
    Ctrl-C (which stops every run after its step in progress) continues the grid. The bar counts
    finished runs. Returns the grid's runs in grid order; raises ``OSError`` with the CLI's
    message when a run failed (the others still train).
    """
    if out is None:
        raise ValueError("sweep needs out, the directory that holds one run directory per grid point")
    argv = to_flags(
        preset=preset, ops=ops, fracs=fracs, seeds=seeds, p=p, out=out, jobs=jobs,
        batch_runs=batch_runs, threads=threads, quiet=True, **flags,
    )
    for m in [mixture] if isinstance(mixture, str) or _is_one_mixture(mixture) else mixture or []:
        argv += ["--mixture", m if isinstance(m, str) else ",".join(m)]
    names = _modgrok.sweep_list(argv)
    session = _modgrok.start_sweep(argv)
    root = os.fspath(out)
    done = lambda: sum(  # noqa: E731
        os.path.isfile(os.path.join(root, n, "report.json")) for n in names
    )
    _wait(session, _Bar(progress, unit="run"), lambda: (done(), len(names), None),
          "the sweep stopped; call modgrok.sweep with the same arguments to continue it")
    return [Run(os.path.join(root, n)) for n in names]


def _is_one_mixture(m: Any) -> bool:
    """``["add", "subtract"]`` is one mixture; ``["add,subtract", "add,multiply"]`` and
    ``[["add", "subtract"], …]`` are several."""
    return (
        isinstance(m, (list, tuple))
        and len(m) > 0
        and all(isinstance(x, str) and "," not in x for x in m)
    )


def _session(argv: list[str], progress: bool) -> Run:
    session = _modgrok.start_training(argv)
    _wait(session, _Bar(progress), session.progress, None)
    return Run(session.out)


def _wait(session: Any, bar: "_Bar", figures: Any, stopped: Optional[str]) -> None:
    """Waits for the session with the GIL released, drawing ``figures()`` (step, steps, row);
    Ctrl-C or any error here stops the session before it propagates."""
    try:
        while not session.wait(_POLL_S):
            bar.show(*figures())
    except BaseException as e:
        # Whatever ends the wait (Ctrl-C, an error drawing the bar) also ends the session, so no
        # training goes on behind the caller's back.
        session.stop()
        session.wait()
        bar.close()
        if not isinstance(e, KeyboardInterrupt):
            raise
        if stopped is None:
            step = session.progress()[0]
            stopped = f"training stopped at step {step}; continue it with modgrok.resume({session.out!r})"
        raise KeyboardInterrupt(stopped) from None
    bar.show(*figures(), force=True)
    bar.close()
    session.result()


class _Bar:
    """Step, train/test loss and accuracy, and steps/s (or runs finished, for a sweep): tqdm
    where installed, else one line on stderr redrawn in place."""

    def __init__(self, enabled: bool, unit: str = "step") -> None:
        self.unit = unit
        self.enabled = enabled
        self.tqdm: Any = None
        self.started = time.monotonic()
        self.first_step: Optional[int] = None
        self.drawn = self.started
        self.lines = 0
        if enabled:
            try:
                from tqdm.auto import tqdm

                self.tqdm = tqdm(total=0, unit=unit, dynamic_ncols=True)
            except ImportError:
                pass

    @staticmethod
    def _figures(row: Optional[tuple]) -> str:
        if row is None:
            return ""
        _, train_loss, test_loss, train_acc, test_acc = row
        return (
            f"loss {train_loss:.2e}/{test_loss:.2e} "
            f"acc {train_acc:.3f}/{test_acc:.3f} (train/test)"
        )

    def show(self, step: int, steps: int, row: Optional[tuple], force: bool = False) -> None:
        if not self.enabled or steps == 0:
            return
        if self.first_step is None:
            self.first_step, self.started = step, time.monotonic()
        if self.tqdm is not None:
            if self.tqdm.total != steps:
                self.tqdm.reset(total=steps)
                self.tqdm.update(step)
            self.tqdm.update(step - self.tqdm.n)
            self.tqdm.set_postfix_str(self._figures(row), refresh=False)
            return
        now = time.monotonic()
        if now - self.drawn < 0.5 and not force:
            return
        self.drawn = now
        self.lines += 1
        rate = (step - self.first_step) / max(now - self.started, 1e-9)
        line = f"{self.unit} {step}/{steps} {self._figures(row)} {rate:.1f} {self.unit}s/s"
        if self.unit == "run":
            line = f"runs {step}/{steps} finished"
        sys.stderr.write("\r" + line + "\033[K")
        sys.stderr.flush()

    def close(self) -> None:
        if self.tqdm is not None:
            self.tqdm.close()
        elif self.lines:
            sys.stderr.write("\n")
            sys.stderr.flush()
