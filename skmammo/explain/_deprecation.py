"""Renamed parameters: the old name keeps working for one release, with a FutureWarning."""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["DEPRECATED", "renamed"]


class _Deprecated:
    """Default of a renamed parameter's old name: "not given"."""

    def __repr__(self) -> str:
        return "<deprecated>"


DEPRECATED: Any = _Deprecated()


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays
        return False


def renamed(where: str, new: str, value: Any, default: Any, old: str, old_value: Any) -> Any:
    """The value of parameter ``new``, taken from its old name ``old`` if that was given.

    Warns with a :class:`FutureWarning` when the old name is used, and raises
    a ``TypeError`` when both names are given different values.

    Examples
    --------
    >>> renamed("lime", "n_samples", 1000, 1000, "num_samples", DEPRECATED)
    1000
    """
    if old_value is DEPRECATED:
        return value
    if not _same(value, default):
        raise TypeError(f"{where}() got both {new}= and its old name {old}=; pass {new}= only")
    warnings.warn(
        f"{where}(): the parameter {old}= was renamed {new}=; {old}= will be removed in "
        f"skmammo 0.3", FutureWarning, stacklevel=3,
    )
    return old_value
