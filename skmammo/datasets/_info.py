"""Parsing the MIAS annotation list ``Info.txt``.

Two forms circulate: the original file (about a hundred lines of prose, then
one data line per abnormality) and a data-only copy under a header line
``REFNUM BG CLASS SEVERITY X Y RADIUS`` (with trailing spaces and sometimes
CRLF line ends).  Both are read the same way: a *data line* is one whose first
field starts with ``mdb`` (any case: ``mdb123``, but also the typos ``mdb0O3``
or ``mdb003,``) or whose second and third fields are a background tissue and
an abnormality class (``mbd003 D CIRC ...``); every other line is prose or a
header and is skipped.  A data line that does not parse is an error naming
the line, so a mistyped reference never makes a lesion vanish silently.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["ABNORMALITIES", "SEVERITIES", "TISSUES", "Annotation", "code_words", "parse_info"]

TISSUES = {"F": "fatty", "G": "fatty-glandular", "D": "dense-glandular"}
ABNORMALITIES = {
    "CALC": "calcification",
    "CIRC": "well-defined/circumscribed mass",
    "SPIC": "spiculated mass",
    "MISC": "other, ill-defined mass",
    "ARCH": "architectural distortion",
    "ASYM": "asymmetry",
    "NORM": "normal",
}
SEVERITIES = {"B": "benign", "M": "malignant"}

_CODES = {"tissue": TISSUES, "abnormality": ABNORMALITIES, "severity": SEVERITIES}


def code_words(column: str, code) -> str | None:
    """An annotation code in words, with the code: ``"dense-glandular (D)"``.

    The one place where the MIAS codes of the frame's ``tissue``,
    ``abnormality`` and ``severity`` columns get their words (reports show
    these).  A code that is not known (another data set's) comes back as
    given; ``None`` for a missing value.

    Examples
    --------
    >>> code_words("tissue", "D"), code_words("abnormality", "SPIC")
    ('dense-glandular (D)', 'spiculated mass (SPIC)')
    >>> code_words("severity", "M"), code_words("severity", None), code_words("view", "CC")
    ('malignant (M)', None, 'CC')
    """
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    words = _CODES.get(column, {}).get(str(code).upper())
    return f"{words} ({code})" if words else str(code)

_REF = re.compile(r"^mdb\d+$", re.IGNORECASE)
_NOTE = re.compile(r"^\*NOTE\s*\d+\*$", re.IGNORECASE)
_FORMAT = "'REFNUM BG CLASS SEVERITY X Y RADIUS' (e.g. 'mdb001 G CIRC B 535 425 197')"


@dataclass(frozen=True)
class Annotation:
    """One data line of ``Info.txt``.

    ``x`` and ``y_mias`` are MIAS coordinates (origin bottom-left); they and
    ``radius`` are NaN for normal films and for abnormalities without a
    location (``note`` then says why, e.g. ``"*NOTE 3*"``).
    """

    film: str
    tissue: str
    abnormality: str
    severity: str | None
    x: float
    y_mias: float
    radius: float
    line: int
    note: str | None = None

    @property
    def located(self) -> bool:
        return not math.isnan(self.x)


def _looks_like_data(fields: list[str]) -> bool:
    """A data line, well-formed or not: it starts with ``mdb`` (any case), or its
    second and third fields are a background tissue and an abnormality class."""
    if fields[0].lower().startswith("mdb"):
        return True
    return len(fields) >= 3 and fields[1].upper() in TISSUES and fields[2].upper() in ABNORMALITIES


def _number(token: str, what: str, where: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise ValueError(f"{where}: {what} {token!r} is not a number; expected {_FORMAT}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {what} {token!r} is not a finite number")
    return value


def parse_info(text: str, source: str = "Info.txt") -> list[Annotation]:
    """Parse the text of an ``Info.txt`` file into annotations, in file order.

    Parameters
    ----------
    text : str
        The file's content (either form; any line ends).
    source : str
        File name used in error messages.

    Returns
    -------
    list of Annotation

    Raises
    ------
    ValueError
        Naming the file and line, if a data line does not parse, or if the
        file holds no data line at all.

    Examples
    --------
    >>> rows = parse_info("REFNUM BG CLASS SEVERITY X Y RADIUS\\nmdb003 D NORM \\n")
    >>> rows[0].film, rows[0].abnormality, rows[0].severity
    ('mdb003', 'NORM', None)
    """
    annotations = []
    nan = float("nan")
    for lineno, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split()
        if not fields or not _looks_like_data(fields):
            continue  # prose, the header line, separators, blank lines
        where = f"{source}, line {lineno}"
        if not _REF.match(fields[0]):
            raise ValueError(
                f"{where}: {raw.strip()!r} looks like a data line but its film reference "
                f"{fields[0]!r} is not 'mdb' followed by digits (e.g. 'mdb003'); "
                f"expected {_FORMAT}"
            )
        film = fields[0].lower()
        if len(fields) < 3:
            raise ValueError(f"{where}: data line {raw.strip()!r} has too few fields; expected {_FORMAT}")
        tissue, abnormality = fields[1].upper(), fields[2].upper()
        if tissue not in TISSUES:
            raise ValueError(
                f"{where}: unknown background tissue {fields[1]!r} in {raw.strip()!r}; "
                f"expected one of {', '.join(TISSUES)}"
            )
        if abnormality not in ABNORMALITIES:
            raise ValueError(
                f"{where}: unknown abnormality class {fields[2]!r} in {raw.strip()!r}; "
                f"expected one of {', '.join(ABNORMALITIES)}"
            )
        rest = fields[3:]
        if abnormality == "NORM":
            if rest:
                raise ValueError(
                    f"{where}: a normal film has no severity or location, found {' '.join(rest)!r}"
                )
            annotations.append(Annotation(film, tissue, "NORM", None, nan, nan, nan, lineno))
            continue
        if not rest:
            raise ValueError(f"{where}: abnormality {abnormality} without a severity (B or M)")
        severity = rest[0].upper()
        if severity not in SEVERITIES:
            raise ValueError(
                f"{where}: unknown severity {rest[0]!r} in {raw.strip()!r}; expected B or M"
            )
        location = rest[1:]
        note = " ".join(location) if location else None
        if not location or _NOTE.match(note):
            annotations.append(
                Annotation(film, tissue, abnormality, severity, nan, nan, nan, lineno, note)
            )
            continue
        if len(location) != 3:
            raise ValueError(
                f"{where}: expected X Y RADIUS after the severity, found {note!r}; "
                f"expected {_FORMAT}"
            )
        x = _number(location[0], "X", where)
        y = _number(location[1], "Y", where)
        radius = _number(location[2], "RADIUS", where)
        if radius <= 0:
            raise ValueError(f"{where}: radius must be positive, found {location[2]!r}")
        annotations.append(Annotation(film, tissue, abnormality, severity, x, y, radius, lineno))
    if not annotations:
        raise ValueError(
            f"{source}: no data line found; each abnormality needs a line like {_FORMAT}"
        )
    return annotations
