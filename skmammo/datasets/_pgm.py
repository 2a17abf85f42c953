"""Reading binary and ASCII PGM films with errors that name the file.

Only a well-formed film is returned; everything else is a ``ValueError``
naming the file: a magic number other than ``P5``/``P2`` (``P5x`` too), header
fields that are not plain decimal numbers, a film larger than ``max_pixels``
(checked from the header, before any pixel is read), pixel data shorter *or
longer* than the header promises, and pixel values above ``maxval``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "HEADER_BYTES", "MAX_PIXELS", "PGMHeader", "check_max_pixels", "check_pgm_prefix", "read_pgm",
    "read_pgm_header",
]

#: Default film size cap: 100 million pixels (a 10000 x 10000 film).  MIAS films
#: have 1 million, full-field digital mammograms (DICOM, CBIS-DDSM) up to ~40 million.
MAX_PIXELS = 100_000_000

#: A PGM header must end within a file's first 64 KiB (real headers take a few dozen bytes).
HEADER_BYTES = 1 << 16

_WHITESPACE = b" \t\r\n\v\f"
_DIGITS = b"0123456789"


class _TruncatedHeader(ValueError):
    """The data ends inside the header."""


class PGMHeader(NamedTuple):
    """The header of a PGM file: magic (``b"P5"``/``b"P2"``), size, maxval, pixel offset."""

    magic: bytes
    width: int
    height: int
    maxval: int
    offset: int

    @property
    def data_bytes(self) -> int | None:
        """Exact number of pixel bytes of a binary ``P5`` film (None for ASCII ``P2``)."""
        if self.magic != b"P5":
            return None
        return self.width * self.height * (2 if self.maxval > 255 else 1)


def check_max_pixels(max_pixels) -> int:
    """Validate a ``max_pixels`` argument (a positive integer)."""
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)) or max_pixels < 1:
        raise ValueError(f"max_pixels must be a positive integer, got {max_pixels!r}")
    return int(max_pixels)


def _header_tokens(data: bytes, count: int, name: str) -> tuple[list[bytes], int]:
    """Return the first ``count`` header tokens and the offset just after them.

    PGM headers are whitespace-separated tokens; ``#`` starts a comment that
    runs to the end of the line.  The last token is followed by exactly one
    whitespace byte before the pixel data.
    """
    tokens: list[bytes] = []
    pos = 0
    n = len(data)
    while len(tokens) < count:
        while pos < n and data[pos] in _WHITESPACE:
            pos += 1
        if pos < n and data[pos] == ord("#"):
            while pos < n and data[pos] not in b"\r\n":
                pos += 1
            continue
        if pos >= n:
            raise _TruncatedHeader(f"{name}: truncated PGM header (found {len(tokens)} of {count} fields)")
        start = pos
        while pos < n and data[pos] not in _WHITESPACE:
            pos += 1
        tokens.append(data[start:pos])
    return tokens, pos + 1


def read_pgm_header(data: bytes, name: str = "<pgm>", max_pixels: int = MAX_PIXELS) -> PGMHeader:
    """Parse and check the header at the start of ``data`` (the pixels need not follow).

    Raises ``ValueError`` naming ``name`` if the header is malformed or the
    film has more than ``max_pixels`` pixels.
    """
    max_pixels = check_max_pixels(max_pixels)
    magic = data[:2]
    if magic not in (b"P5", b"P2") or (len(data) > 2 and data[2] not in _WHITESPACE):
        raise ValueError(f"{name}: not a PGM file (starts with {data[:8]!r}, expected 'P5' or 'P2')")
    (_, w_tok, h_tok, max_tok), offset = _header_tokens(data, 4, name)
    if not all(tok.isdigit() for tok in (w_tok, h_tok, max_tok)):
        raise ValueError(
            f"{name}: malformed PGM header: width {w_tok!r}, height {h_tok!r}, maxval {max_tok!r} "
            "(expected plain decimal numbers)"
        )
    width, height, maxval = int(w_tok), int(h_tok), int(max_tok)
    if width <= 0 or height <= 0 or not 0 < maxval < 65536:
        raise ValueError(f"{name}: invalid PGM header: {width}x{height}, maxval {maxval}")
    if width * height > max_pixels:
        raise ValueError(
            f"{name}: the {width}x{height} film has {width * height} pixels, more than "
            f"max_pixels={max_pixels}; pass a larger max_pixels if the film is genuine"
        )
    return PGMHeader(magic, width, height, maxval, offset)


def _check_length(header: PGMHeader, size: int, name: str) -> None:
    """Refuse a binary film whose file size is not exactly header + pixels."""
    expected = header.data_bytes
    if expected is None:
        return
    found = max(size - header.offset, 0)
    if found != expected:
        what = "truncated PGM" if found < expected else "PGM with surplus data"
        raise ValueError(
            f"{name}: {what}: the {header.width}x{header.height} film needs {expected} bytes of "
            f"pixels, the file holds {found}"
        )


def check_pgm_prefix(prefix: bytes, size: int, name: str, max_pixels: int = MAX_PIXELS) -> None:
    """Check a PGM file of ``size`` bytes from its first bytes, before reading the rest.

    Refuses (``ValueError`` naming ``name``) a malformed header, a film larger
    than ``max_pixels``, a binary film whose size disagrees with its header,
    and a header that does not end within ``prefix`` (read at least
    :data:`HEADER_BYTES` bytes, or the whole file if smaller).  So an archive
    member that would decompress to a huge film is refused unread.
    """
    complete = len(prefix) >= size
    try:
        header = read_pgm_header(prefix, name, max_pixels)
    except _TruncatedHeader:
        if complete:
            raise
        header = None
    if not complete and (header is None or header.offset > len(prefix)):
        raise ValueError(f"{name}: the PGM header does not end within the first {len(prefix)} bytes")
    _check_length(header, size, name)


def read_pgm(data: bytes, name: str = "<pgm>", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode a PGM image (``P5`` binary or ``P2`` ASCII) into a 2-D ``uint8`` array.

    Films with more than 8 bits (``maxval > 255``) and films with
    ``maxval < 255`` are rescaled linearly to 0-255
    (``round(v * 255 / maxval)``), so every film in a frame is ``uint8``.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        File name used in error messages.
    max_pixels : int, default=100_000_000
        Largest film accepted (width x height), checked from the header before
        any pixel is decoded.

    Returns
    -------
    image : ndarray of shape (height, width), dtype uint8

    Raises
    ------
    ValueError
        Naming the file, if it is not a PGM (the magic number is ``P5`` or
        ``P2`` followed by whitespace), its header is malformed, it is larger
        than ``max_pixels``, it holds fewer or more pixels than its header
        promises, or a pixel exceeds ``maxval``.

    Examples
    --------
    >>> read_pgm(b"P5\\n2 1\\n255\\n\\x00\\xff").tolist()
    [[0, 255]]
    >>> read_pgm(b"P2\\n2 1\\n15\\n0 15\\n").tolist()
    [[0, 255]]
    """
    header = read_pgm_header(data, name, max_pixels)
    width, height, maxval, offset = header.width, header.height, header.maxval, header.offset
    n_pixels = width * height
    if header.magic == b"P5":
        _check_length(header, len(data), name)
        dtype = np.dtype(">u2") if maxval > 255 else np.dtype("u1")
        pixels = np.frombuffer(data, dtype=dtype, count=n_pixels, offset=offset)
    else:
        raster = data[offset:]
        if raster.translate(None, _DIGITS + _WHITESPACE):
            bad = next(tok for tok in raster.split() if not tok.isdigit())
            raise ValueError(
                f"{name}: ASCII PGM pixel {bad[:20]!r} is not a decimal number 0..{maxval}"
            )
        values = raster.split()
        if len(values) != n_pixels:
            what = "truncated PGM" if len(values) < n_pixels else "PGM with surplus data"
            raise ValueError(
                f"{name}: {what}: the {width}x{height} film needs {n_pixels} values, "
                f"the file holds {len(values)}"
            )
        # more than 5 significant digits exceeds any maxval (and could overflow int64)
        huge = next((tok for tok in values if len(tok.lstrip(b"0")) > 5), None)
        if huge is not None:
            raise ValueError(
                f"{name}: PGM pixel value {huge.lstrip(b'0')[:20].decode()} exceeds maxval {maxval}"
            )
        pixels = np.array(values, dtype=np.int64)
    if n_pixels and int(pixels.max()) > maxval:
        raise ValueError(
            f"{name}: PGM pixel value {int(pixels.max())} exceeds maxval {maxval} "
            f"(first at pixel {int(np.argmax(pixels > maxval))})"
        )

    image = pixels.reshape(height, width)
    if maxval == 255:
        return image.astype(np.uint8, copy=True)
    scaled = np.rint(image.astype(np.float64) * (255.0 / maxval))
    return scaled.astype(np.uint8)
