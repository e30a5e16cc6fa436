"""Poppler's `pdftoppm` and `pdftotext` turn a PDF into what a reader sees: page images and text.

They come with Debian's poppler-utils. Missing, they are installed when the tests run as root with
apt-get (a fresh CI machine); otherwise the tests that need them skip — except in CI, where that is
a failure.
"""

import os
import shutil
import subprocess

import pytest

PACKAGE = "poppler-utils"


def tool(name: str) -> str:
    """The path of a poppler tool, installing the package first if it can."""
    found = shutil.which(name)
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        _install()
        found = shutil.which(name)
    if found is None:
        message = f"{name} is missing: `apt-get install -y {PACKAGE}` (as root) provides it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _install() -> None:
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", PACKAGE]
    if subprocess.run(install, env=environment, capture_output=True, check=False).returncode != 0:
        # A fresh machine may have no package lists yet; a stale one may name versions the mirror dropped.
        subprocess.run(["apt-get", "update", "-qq"], env=environment, capture_output=True, check=False)
        subprocess.run(install, env=environment, capture_output=True, check=False)
