"""Reading binary and ASCII PGM films with errors that name the file."""

from __future__ import annotations

import numpy as np

__all__ = ["read_pgm"]

_WHITESPACE = b" \t\r\n\v\f"


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
            raise ValueError(f"{name}: truncated PGM header (found {len(tokens)} of {count} fields)")
        start = pos
        while pos < n and data[pos] not in _WHITESPACE:
            pos += 1
        tokens.append(data[start:pos])
    return tokens, pos + 1


def read_pgm(data: bytes, name: str = "<pgm>") -> np.ndarray:
    """Decode a PGM image (``P5`` binary or ``P2`` ASCII) into a 2-D ``uint8`` array.

    Films with more than 8 bits (``maxval > 255``) are rescaled linearly to
    0-255 (``round(v * 255 / maxval)``), so every film in a frame is ``uint8``.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        File name used in error messages.

    Returns
    -------
    image : ndarray of shape (height, width), dtype uint8

    Raises
    ------
    ValueError
        If the file is not a PGM, its header is malformed, or it holds fewer
        pixels than its header promises.

    Examples
    --------
    >>> read_pgm(b"P5\\n2 1\\n255\\n\\x00\\xff").tolist()
    [[0, 255]]
    """
    magic = data[:2]
    if magic not in (b"P5", b"P2"):
        raise ValueError(f"{name}: not a PGM file (starts with {data[:8]!r}, expected 'P5' or 'P2')")
    (_, w_tok, h_tok, max_tok), offset = _header_tokens(data, 4, name)
    try:
        width, height, maxval = int(w_tok), int(h_tok), int(max_tok)
    except ValueError:
        raise ValueError(
            f"{name}: malformed PGM header: width {w_tok!r}, height {h_tok!r}, maxval {max_tok!r}"
        ) from None
    if width <= 0 or height <= 0 or not 0 < maxval < 65536:
        raise ValueError(f"{name}: invalid PGM header: {width}x{height}, maxval {maxval}")

    n_pixels = width * height
    if magic == b"P5":
        dtype = np.dtype(">u2") if maxval > 255 else np.dtype("u1")
        expected = n_pixels * dtype.itemsize
        found = len(data) - offset
        if found < expected:
            raise ValueError(
                f"{name}: truncated PGM: {width}x{height} film needs {expected} bytes of "
                f"pixels, the file holds {max(found, 0)}"
            )
        pixels = np.frombuffer(data, dtype=dtype, count=n_pixels, offset=offset)
    else:
        values = data[offset:].split()
        if len(values) < n_pixels:
            raise ValueError(
                f"{name}: truncated PGM: {width}x{height} film needs {n_pixels} values, "
                f"the file holds {len(values)}"
            )
        pixels = np.array(values[:n_pixels], dtype=np.int64)
        if pixels.min() < 0 or pixels.max() > maxval:
            raise ValueError(f"{name}: PGM pixel values outside 0..{maxval}")

    image = pixels.reshape(height, width)
    if maxval == 255:
        return image.astype(np.uint8, copy=True)
    scaled = np.rint(image.astype(np.float64) * (255.0 / maxval))
    return scaled.astype(np.uint8)
