"""mkdocs hooks for the book (registered under `hooks:` in mkdocs.yml)."""

import importlib.util
import os
import sys
from pathlib import Path

from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tangle  # noqa: E402

MATHJAX = "javascripts/tex-svg-full.js"


def on_pre_build(config, **kwargs):
    """Re-tangle before every build, so pages built at build time by
    markdown-exec and mkdocstrings see the code the chapters show."""
    for module in tangle.write():
        print(f"mkdocs hook: re-tangled {module} from the chapters", file=sys.stderr)


def mathjax_file():
    """MathJax 3's single-file SVG build, as shipped by django-static-mathjax."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None:
        raise RuntimeError("MathJax is missing: pip install -e '.[dev]' (django-static-mathjax)")
    path = os.path.join(spec.submodule_search_locations[0], "static", "mathjax", "es5", "tex-svg-full.js")
    if not os.path.isfile(path):
        raise RuntimeError(f"MathJax is missing: no {path}")
    return path


def on_files(files, config, **kwargs):
    """Serve MathJax from the site itself: copy it in as javascripts/tex-svg-full.js."""
    files.append(File.generated(config, MATHJAX, abs_src_path=mathjax_file()))
    return files
