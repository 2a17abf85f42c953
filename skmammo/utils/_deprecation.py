"""Renamed parameters keep working for one release, with a ``FutureWarning``."""

from __future__ import annotations

import warnings

__all__ = ["REMOVAL_RELEASE", "warn_renamed"]

#: The release in which the old names stop working.
REMOVAL_RELEASE = "0.3"


def warn_renamed(old: str, new: str, who: str, *, stacklevel: int = 3) -> None:
    """Warn that ``who``'s parameter ``old`` is now called ``new``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_renamed("nsamples", "n_samples", "kernel_shap")
    >>> print(caught[0].message)
    kernel_shap: the parameter 'nsamples' is now called 'n_samples'; the old name stops working in skmammo 0.3
    """
    warnings.warn(
        f"{who}: the parameter {old!r} is now called {new!r}; the old name stops working in "
        f"skmammo {REMOVAL_RELEASE}",
        FutureWarning,
        stacklevel=stacklevel,
    )
