"""The tiny run the tests share, and the `modgrok` binary they compare against."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# add mod 11 with a tiny model: 60 train / 61 test pairs, about a millisecond a step.
TINY = dict(
    p=11,
    frac=0.5,
    d_model=16,
    heads=2,
    d_mlp=32,
    log_every=25,
    checkpoint_every=100,
    keep_checkpoints=0,
)


def flags(**kwargs) -> list[str]:
    from modgrok._flags import to_flags

    return to_flags(**kwargs)


@pytest.fixture(scope="session")
def cli() -> str:
    """The `modgrok` CLI: $MODGROK_BIN, or the workspace's release build (built if missing)."""
    path = os.environ.get("MODGROK_BIN") or str(REPO / "target" / "release" / "modgrok")
    if not Path(path).is_file():
        cargo = shutil.which("cargo")
        assert cargo, "set MODGROK_BIN to a modgrok binary, or install cargo to build one"
        subprocess.run(
            [cargo, "build", "--release", "-p", "modgrok-host"], cwd=REPO, check=True
        )
    return path


def run_cli(cli: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([cli, *args], capture_output=True, text=True)


def same_files(a: Path, b: Path) -> list[str]:
    """The files of run `a` whose bytes differ in run `b` (report.json and the figures carry
    wall times and are left out)."""
    names = ["config.json", "metrics.csv", "final.safetensors", "analysis.json"]
    names += sorted(
        "checkpoints/" + f.name for f in (a / "checkpoints").iterdir()
    )
    assert sorted(f.name for f in (a / "checkpoints").iterdir()) == sorted(
        f.name for f in (b / "checkpoints").iterdir()
    ), "the two runs keep different checkpoints"
    return [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()]
