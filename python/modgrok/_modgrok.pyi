"""The native half of modgrok; use the functions of the package ``modgrok`` instead."""
from typing import Optional

__version__: str

Tensor = tuple[str, list[int], bytes]
Side = tuple[bytes, bytes, bytes]

class Training:
    @property
    def out(self) -> str: ...
    def wait(self, timeout: Optional[float] = None) -> bool: ...
    def progress(
        self,
    ) -> tuple[int, int, Optional[tuple[int, float, float, float, float]]]: ...
    def stop(self) -> None: ...
    def result(self) -> tuple[bool, int]: ...

def start_training(flags: list[str]) -> Training: ...
def split(flags: list[str]) -> tuple[Side, Side]: ...
def ops_json() -> str: ...
def read_model(path: str) -> tuple[str, int, list[Tensor]]: ...
def forward(tensors: list[Tensor], tokens: bytes) -> tuple[bytes, int]: ...
def analyze_file(
    path: str,
    ffs_eps: Optional[float] = None,
    key_threshold: Optional[float] = None,
    basis: Optional[str] = None,
    threads: Optional[int] = None,
) -> str: ...
def analyze_weights(
    tensors: list[Tensor],
    flags: list[str],
    ffs_eps: Optional[float] = None,
    key_threshold: Optional[float] = None,
    basis: Optional[str] = None,
    threads: Optional[int] = None,
) -> str: ...
def over_training(
    path: str,
    ffs_eps: Optional[float] = None,
    key_threshold: Optional[float] = None,
    threads: Optional[int] = None,
) -> str: ...
