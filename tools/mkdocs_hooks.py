"""mkdocs hooks for the book (registered under `hooks:` in mkdocs.yml)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tangle  # noqa: E402


def on_pre_build(config, **kwargs):
    """Re-tangle before every build, so pages built at build time by
    markdown-exec and mkdocstrings see the code the chapters show."""
    for module in tangle.write():
        print(f"mkdocs hook: re-tangled {module} from the chapters", file=sys.stderr)
