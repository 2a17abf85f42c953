"""Jinja2 templates and CSS of the HTML / PDF reports.

Installed as the package ``skmammo._templates`` (see ``pyproject.toml``) and
read by :mod:`skmammo.reporting`; no Python code lives here.
"""
