"""Property-based tests (Hypothesis) of the PGM reader, the Info.txt parser and the opener.

Whatever the bytes, loading either gives exactly what an independent reader
(written here, from the format's definition) gives, or raises ``ValueError``
(``FileNotFoundError`` for a missing file) whose message starts with the name
of the file -- never another exception, never a wrong film.  The examples are
bounded so that each test runs in a few seconds; a longer run:
``SKMAMMO_FUZZ_EXAMPLES=5000 python -m pytest tests/test_datasets_properties.py``.
"""

from __future__ import annotations

import io
import math
import os
import re
import tarfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skmammo.datasets import load_mias
from skmammo.datasets._info import parse_info
from skmammo.datasets._pgm import MAX_PIXELS, read_pgm

_EXAMPLES = int(os.environ.get("SKMAMMO_FUZZ_EXAMPLES", "150"))
FAST = settings(max_examples=_EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# --------------------------------------------------------------------------
# An independent PGM decoder: a regular expression for the header (netpbm's
# definition: magic, then whitespace-separated decimal fields, '#' comments to
# the end of a line, exactly one whitespace byte before the pixels).

_WS = rb"[ \t\r\n\v\f]"
_SEP = _WS + rb"(?:" + _WS + rb"|#[^\r\n]*+)*+"
_HEADER = re.compile(
    rb"\A(P[25])" + _SEP + rb"(\d++)" + _SEP + rb"(\d++)" + _SEP + rb"(\d++)" + _WS, re.DOTALL
)


def reference_pgm(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray | None:
    """The film ``data`` holds, or None if it is not a valid PGM."""
    match = _HEADER.match(data)
    if match is None:
        return None
    magic, width, height, maxval = match[1], int(match[2]), int(match[3]), int(match[4])
    if not (width > 0 and height > 0 and 0 < maxval < 65536 and width * height <= max_pixels):
        return None
    rest = data[match.end():]
    n = width * height
    if magic == b"P5":
        size = 2 if maxval > 255 else 1
        if len(rest) != n * size:
            return None
        values = [int.from_bytes(rest[i : i + size], "big") for i in range(0, len(rest), size)]
    else:
        tokens = rest.split()
        if len(tokens) != n or not all(re.fullmatch(rb"[0-9]+", t) for t in tokens):
            return None
        values = [int(t) for t in tokens]
    if any(v > maxval for v in values):
        return None
    scale = 255.0 / maxval  # the documented rescaling, round(v * 255 / maxval)
    pixels = [int(np.rint(v * scale)) for v in values]
    return np.array(pixels, dtype=np.uint8).reshape(height, width)


_separators = st.lists(
    st.sampled_from([b" ", b"\n", b"\t", b"\r\n", b"#c 7\n", b"# 12\r", b"#x", b"\v"]),
    min_size=0, max_size=3,
).map(b"".join)
_numbers = st.one_of(
    st.integers(0, 6).map(lambda v: str(v).encode()),
    st.sampled_from([b"255", b"15", b"1", b"256", b"1000", b"65535", b"65536", b"007",
                     b"+2", b"2_0", b"a", b"", b"99999", b"2#"]),
)


@st.composite
def pgm_files(draw) -> bytes:
    """Mostly plausible PGM files, with every kind of flaw mixed in."""
    magic = draw(st.sampled_from([b"P5", b"P2", b"P5", b"P2", b"P5x", b"P6", b"P", b"p5"]))
    width, height, maxval = draw(_numbers), draw(_numbers), draw(_numbers)
    header = magic + draw(_separators) + b" " + width + draw(_separators) + b" " + height
    header += draw(_separators) + b"\n" + maxval + draw(st.sampled_from([b"\n", b" ", b"", b"\n\n"]))
    try:
        n = int(width) * int(height)
        top = int(maxval)
    except ValueError:
        n, top = draw(st.integers(0, 12)), 255
    n = min(n, 40) + draw(st.sampled_from([0, 0, 0, 1, -1]))
    if magic == b"P2":
        values = draw(st.lists(st.integers(0, min(top, 70000) + 1), min_size=max(n, 0),
                               max_size=max(n, 0)))
        body = draw(_separators) + b" ".join(str(v).encode() for v in values) + b"\n"
        if draw(st.booleans()):
            body += draw(st.sampled_from([b"x", b"-1", b"99999999999999999999999", b"#"]))
    else:
        size = 2 if top > 255 else 1
        body = draw(st.binary(min_size=max(n, 0) * size, max_size=max(n, 0) * size))
    data = header + body
    if data and draw(st.booleans()):  # one damaged byte, or a cut
        pos = draw(st.integers(0, len(data) - 1))
        if draw(st.booleans()):
            data = data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1 :]
        else:
            data = data[:pos]
    return data


def _check_pgm(data: bytes, max_pixels: int = MAX_PIXELS) -> None:
    expected = reference_pgm(data, max_pixels)
    try:
        image = read_pgm(data, "fuzz/film.pgm", max_pixels)
    except ValueError as exc:
        assert str(exc).startswith("fuzz/film.pgm: "), exc
        assert expected is None, f"refused a valid film: {exc}"
        return
    assert expected is not None, "accepted a film the reference refuses"
    assert image.dtype == np.uint8 and np.array_equal(image, expected)


@FAST
@given(pgm_files())
def test_read_pgm_equals_the_reference_or_names_the_file(data):
    _check_pgm(data)


@FAST
@given(pgm_files(), st.integers(1, 30))
def test_read_pgm_respects_max_pixels(data, max_pixels):
    _check_pgm(data, max_pixels)


@settings(max_examples=max(_EXAMPLES, 200), deadline=None)
@given(st.binary(max_size=64))
def test_read_pgm_on_arbitrary_bytes(data):
    _check_pgm(data)


# --------------------------------------------------------------------------
# Info.txt: every line that looks like a data line is parsed or named in an error

_TISSUES, _SEVERITIES = "FGD", "BM"
_CLASSES = ("CALC", "CIRC", "SPIC", "MISC", "ARCH", "ASYM", "NORM")


def _looks_like_data(fields: list[str]) -> bool:
    return fields[0].lower().startswith("mdb") or (
        len(fields) >= 3 and fields[1].upper() in _TISSUES and fields[2].upper() in _CLASSES
    )


def _finite(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def reference_line(fields: list[str]):
    """(film, tissue, class, severity, x, y, radius) of a data line, or None if it is invalid."""
    if not re.fullmatch(r"mdb[0-9]+", fields[0], re.IGNORECASE) or len(fields) < 3:
        return None
    tissue, kind = fields[1].upper(), fields[2].upper()
    if len(tissue) != 1 or tissue not in _TISSUES or kind not in _CLASSES:
        return None
    film, nan = fields[0].lower(), None
    if kind == "NORM":
        return (film, tissue, kind, None, nan, nan, nan) if len(fields) == 3 else None
    if len(fields) < 4 or fields[3].upper() not in ("B", "M"):
        return None
    rest = fields[4:]
    if not rest or re.fullmatch(r"\*NOTE\s*\d+\*", " ".join(rest), re.IGNORECASE):
        return (film, tissue, kind, fields[3].upper(), nan, nan, nan)
    if len(rest) != 3:
        return None
    x, y, r = (_finite(t) for t in rest)
    if x is None or y is None or r is None or r <= 0:
        return None
    return (film, tissue, kind, fields[3].upper(), x, y, r)


_token = st.one_of(
    st.sampled_from(["mdb001", "mdb12", "MDB007", "mdb0O3", "mdb003,", "mbd003", "mdb",
                     "G", "F", "D", "g", "Q", "CIRC", "NORM", "calc", "BLOB", "B", "M", "X",
                     "535", "425", "197", "0", "-3", "1e6", "nan", "inf", "*NOTE", "3*",
                     "*NOTE 3*", "REFNUM", "The", "mias"]),
    st.text(alphabet="abcdmM019 ,.*#\t", min_size=1, max_size=6),
)
_valid_line = st.tuples(
    st.integers(1, 999).map(lambda n: f"mdb{n:03d}"), st.sampled_from(_TISSUES),
    st.sampled_from(_CLASSES), st.sampled_from(_SEVERITIES),
    st.integers(0, 1023), st.integers(1, 1024), st.integers(1, 300),
).map(lambda t: f"{t[0]} {t[1]} {t[2]}" if t[2] == "NORM" else " ".join(map(str, t)))
_lines = st.lists(
    st.one_of(_valid_line, st.lists(_token, max_size=8).map(" ".join), st.text(max_size=30)),
    max_size=8,
)


@FAST
@given(_lines, st.sampled_from(["\n", "\r\n"]))
def test_parse_info_is_complete_or_names_the_line(lines, newline):
    text = newline.join(lines)
    expected, first_bad = [], None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split()
        if not fields or not _looks_like_data(fields):
            continue
        parsed = reference_line(fields)
        if parsed is None:
            first_bad = first_bad or lineno
        expected.append((lineno, parsed))
    try:
        rows = parse_info(text, "fuzz/Info.txt")
    except ValueError as exc:
        message = str(exc)
        assert message.startswith("fuzz/Info.txt"), message
        if first_bad is not None:
            assert message.startswith(f"fuzz/Info.txt, line {first_bad}: "), message
        else:
            assert not expected and "no data line" in message, message
        return
    assert first_bad is None, f"line {first_bad} should have been refused"
    got = [(r.line, (r.film, r.tissue, r.abnormality, r.severity,
                     *(None if math.isnan(v) else v for v in (r.x, r.y_mias, r.radius))))
           for r in rows]
    assert got == expected


# --------------------------------------------------------------------------
# The archive and folder opener: a damaged archive is refused or read intact


def _pgm(value: int, shape=(16, 16)) -> bytes:
    image = np.full(shape, value, np.uint8)
    image[:, -3:] = 0
    return f"P5\n{shape[1]} {shape[0]}\n255\n".encode() + image.tobytes()


_INFO = "REFNUM BG CLASS SEVERITY X Y RADIUS\nmdb001 G CIRC B 5 8 3\nmdb002 D NORM\n"


@st.composite
def data_sets(draw) -> dict[str, bytes]:
    members = {"Info.txt": _INFO.encode(), "mdb001.pgm": _pgm(120), "mdb002.pgm": _pgm(90)}
    if draw(st.booleans()):
        members["mdb002.pgm"] = draw(pgm_files())
    if draw(st.booleans()):
        folder = draw(st.sampled_from(["all-mias/", "a/b/", ""]))
        members = {folder + name: data for name, data in members.items()}
    if draw(st.booleans()):  # a stray extra member, maybe a second film of one name
        members[draw(st.sampled_from(["x/mdb001.pgm", "Licence.txt", "x/INFO.TXT"]))] = b"P5\n"
    return members


def _pack(members: dict[str, bytes], kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
    else:
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _check_load(path, members: dict[str, bytes], label: str) -> None:
    try:
        frame = load_mias(path, keep_mislocated=True, keep_unlocated=True).frame
    except (ValueError, FileNotFoundError) as exc:
        assert str(exc).startswith(label), exc
        return
    by_name = {name.rsplit("/", 1)[-1]: data for name, data in members.items()}
    assert sorted(set(frame["film"])) == ["mdb001", "mdb002"]
    for film, image in zip(frame["film"], frame["image"]):
        expected = reference_pgm(by_name[film + ".pgm"])
        assert expected is not None and np.array_equal(image, expected), film


@FAST
@given(data_sets(), st.sampled_from(["zip", "tar.gz"]), st.data())
def test_archive_is_read_intact_or_refused_naming_it(tmp_path_factory, members, kind, data):
    raw = _pack(members, kind)
    if data.draw(st.booleans()):  # damage: flip a byte, or cut the archive
        pos = data.draw(st.integers(0, len(raw) - 1))
        if data.draw(st.booleans()):
            raw = raw[:pos] + bytes([raw[pos] ^ data.draw(st.integers(1, 255))]) + raw[pos + 1 :]
        else:
            raw = raw[:pos]
    path = tmp_path_factory.mktemp("fuzz") / f"set.{kind}"
    path.write_bytes(raw)
    _check_load(path, members, str(path))


@FAST
@given(data_sets())
def test_folder_is_read_intact_or_refused_naming_it(tmp_path_factory, members):
    folder = tmp_path_factory.mktemp("fuzz")
    flat = {}
    for name, data in members.items():
        flat[name.rsplit("/", 1)[-1]] = data  # a folder holds one file per name
    for name, data in flat.items():
        (folder / name).write_bytes(data)
    _check_load(folder, flat, str(folder))


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_every_single_byte_damage_of_a_small_archive(tmp_path, kind):
    """Exhaustive over positions (not random): flip each byte of a small archive once."""
    members = {"Info.txt": _INFO.encode(), "mdb001.pgm": _pgm(120, (4, 4)),
               "mdb002.pgm": _pgm(90, (4, 4))}
    members["Info.txt"] = members["Info.txt"].replace(b"5 8 3", b"1 2 1")
    raw = _pack(members, kind)
    path = tmp_path / f"set.{kind}"
    for pos in range(len(raw)):
        path.write_bytes(raw[:pos] + bytes([raw[pos] ^ 0x55]) + raw[pos + 1 :])
        _check_load(path, members, str(path))
