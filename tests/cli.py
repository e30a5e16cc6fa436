"""`konsent` run as an operator runs it: a real process, on an embedded database of its own."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., subprocess.CompletedProcess[str]]


def in_folder(folder: Path, *, timeout: float = 120) -> Run:
    """The command line with its database and data directory in `folder`, and `folder` as working directory."""
    environment = {**os.environ, "KONSENT__DATABASE__URL": f"sqlite:///{folder / 'konsent.db'}",
                   "KONSENT__DATA_DIR": str(folder)}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "konsent", *args], capture_output=True, text=True,
                              timeout=timeout, check=False, env=environment, cwd=folder)

    return run


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout
