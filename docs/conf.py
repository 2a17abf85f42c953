"""Sphinx configuration: the user guide (Markdown, via MyST) and the API reference.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` (see README).
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.abspath(".."))

import skmammo  # noqa: E402

project = "skmammo"
author = "skmammo developers"
release = version = skmammo.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
# docs/results/*.md are written by examples/reproduce_study.py and included by results.md.
exclude_patterns = ["_build", "results"]
myst_heading_anchors = 3

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc prints the documented types
numpydoc_show_class_members = False
numpydoc_validation_checks = set()

html_theme = "alabaster"
html_title = f"skmammo {version}"
