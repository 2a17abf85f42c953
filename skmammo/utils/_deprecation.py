"""Renamed parameters: the old name keeps working for one release, with a FutureWarning."""

from __future__ import annotations

import warnings
from typing import Any

__all__ = ["DEPRECATED", "REMOVAL_RELEASE", "renamed"]

#: The release in which the old names stop working.
REMOVAL_RELEASE = "0.3"


class _Deprecated:
    """Default of a renamed parameter's old name: "not given".

    One object, kept by copying and pickling (``clone`` deep-copies an
    estimator's parameters and checks it gets the same object back).
    """

    def __repr__(self) -> str:
        return "<deprecated>"

    def __copy__(self) -> _Deprecated:
        return self

    def __deepcopy__(self, memo: dict) -> _Deprecated:
        return self

    def __reduce__(self) -> str:
        return "DEPRECATED"


DEPRECATED: Any = _Deprecated()


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays
        return False


def renamed(where: str, new: str, value: Any, default: Any, old: str, old_value: Any, *,
            stacklevel: int = 3) -> Any:
    """The value of parameter ``new``, taken from its old name ``old`` if that was given.

    Warns with a :class:`FutureWarning` when the old name is used (it stops
    working in skmammo 0.3), and raises a ``TypeError`` when both names are
    given different values.  ``old_value`` is :data:`DEPRECATED` when the old
    name was not given.

    Examples
    --------
    >>> renamed("lime", "n_samples", 1000, 1000, "num_samples", DEPRECATED)
    1000
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     renamed("kernel_shap", "n_samples", 1000, 1000, "nsamples", 500)
    500
    >>> print(caught[0].message)
    kernel_shap(): the parameter nsamples= was renamed n_samples=; nsamples= will be removed in skmammo 0.3
    """
    if old_value is DEPRECATED:
        return value
    if not _same(value, default):
        raise TypeError(f"{where}() got both {new}= and its old name {old}=; pass {new}= only")
    warnings.warn(
        f"{where}(): the parameter {old}= was renamed {new}=; {old}= will be removed in "
        f"skmammo {REMOVAL_RELEASE}", FutureWarning, stacklevel=stacklevel,
    )
    return old_value
