"""Fixtures shared by the tests in tests/ (the repository's conftest.py sets up the session).

``built_site`` builds the website once per test session, with ``--strict``, into a
temporary directory, so every test that reads the built site pays for one build.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The directory of a fresh ``mkdocs build --strict`` of the book."""
    out = tmp_path_factory.mktemp("built-site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", DISABLE_MKDOCS_2_WARNING="true")  # no banners
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, "mkdocs build --strict failed:\n" + result.stderr[-3000:]
    return out
