"""``fetch_mias``: download, verify and cache the mini-MIAS archive, like ``sklearn.datasets.fetch_*``."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from importlib import resources
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from skmammo.datasets._mias import load_mias
from skmammo.datasets._source import one_line

__all__ = ["MIAS_URL", "fetch_mias", "get_data_home"]

logger = logging.getLogger(__name__)

#: The official distribution address of mini-MIAS (University of Essex, PEIPA).
MIAS_URL = "http://peipa.essex.ac.uk/pix/mias/all-mias.tar.gz"
_FOLDER = "mias"
_CHUNK = 1 << 20
_STAGING = ".mias-download-"


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """Return the folder where skmammo caches data sets, creating it if needed.

    Parameters
    ----------
    data_home : str or path-like, optional
        Defaults to the ``SKMAMMO_DATA`` environment variable, or
        ``~/skmammo_data``.

    Examples
    --------
    >>> import tempfile; get_data_home(tempfile.mkdtemp()).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get("SKMAMMO_DATA", Path("~") / "skmammo_data")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _expected_checksums() -> dict[str, str]:
    """SHA-256 of every file of the official archive, shipped with the package."""
    text = resources.files("skmammo.datasets").joinpath("data/mias_sha256sums.txt").read_text()
    sums = {}
    for line in text.splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = digest.lower()
    return sums


def _download(url: str, destination: Path, verbose: int) -> None:
    """Stream ``url`` (http, https, file or a local path) into ``destination``."""
    local = Path(url).expanduser()
    if "://" not in url:
        if not local.is_file():
            raise FileNotFoundError(f"{url}: no such archive file")
        shutil.copyfile(local, destination)
        return
    try:
        response = urllib.request.urlopen(url, timeout=60)
    except (urllib.error.URLError, OSError) as exc:
        raise OSError(
            f"could not download {url}: {exc}. Check the address and your connection, or "
            "download all-mias.tar.gz yourself and pass its path as url=..."
        ) from None
    with response, open(destination, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc="Downloading mini-MIAS",
                  disable=not verbose) as bar:
            try:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
            except OSError as exc:
                raise OSError(f"download of {url} broke off: {exc}") from None
        if total is not None and out.tell() != total:
            raise OSError(f"download of {url} is incomplete: {out.tell()} of {total} bytes")


def _safe_name(member: tarfile.TarInfo, archive: str) -> str | None:
    """The base name to extract ``member`` to, or None to skip it; refuse anything unsafe."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{archive}: refusing unsafe member {member.name!r} (it would escape "
                         "the cache folder); the archive is not the mini-MIAS distribution")
    if member.isdir():
        return None
    if not member.isfile():
        raise ValueError(f"{archive}: refusing member {member.name!r}: only regular files "
                         "are extracted (links and devices are not)")
    return path.name


def _extract_verified(archive: Path, target: Path, label: str, verbose: int) -> None:
    """Extract the files the checksum list names into ``target``, verifying each one."""
    expected = _expected_checksums()
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tqdm(tar, total=len(expected), desc="Extracting and verifying",
                           unit="file", disable=not verbose)
            for member in members:
                name = _safe_name(member, label)
                if name is None or name not in expected:
                    continue
                digest = hashlib.sha256()
                with tar.extractfile(member) as src, open(target / name, "wb") as dst:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        dst.write(chunk)
                if digest.hexdigest() != expected[name]:
                    raise ValueError(
                        f"{label}: {name} fails its SHA-256 check (got {digest.hexdigest()[:16]}..., "
                        f"expected {expected[name][:16]}...); the archive is corrupt or not the "
                        "official mini-MIAS release"
                    )
                seen.add(name)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ValueError(f"{label}: the archive is corrupt or truncated ({one_line(exc)})") from None
    except OSError as exc:
        # gzip reports a bad stream as OSError (BadGzipFile)
        raise ValueError(f"{label}: the archive is corrupt or truncated ({one_line(exc)})") from None
    missing = sorted(set(expected) - seen)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ValueError(f"{label}: the archive lacks {len(missing)} of the mini-MIAS files: {shown}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # another user's process (or a pid os.kill cannot test): keep its folder
    return True


def _remove_stale_staging(home: Path) -> None:
    """Remove the staging folders of downloads whose process is gone (killed, crashed).

    Staging folders are named ``.mias-download-<pid>-<random>``; the folder of a
    process still running (a concurrent fetch on this machine) is left alone.
    """
    for folder in home.glob(_STAGING + "*"):
        pid = folder.name[len(_STAGING):].split("-", 1)[0]
        if folder.is_dir() and not (pid.isdigit() and _alive(int(pid))):
            logger.info("Removing %s, left by an interrupted download", folder)
            shutil.rmtree(folder, ignore_errors=True)


def _clear_hint(target: Path) -> str:
    return (f"delete the folder {target} (e.g. shutil.rmtree) and call fetch_mias() again to "
            "download a fresh, verified copy")


def _verify_cache(target: Path, verbose: int) -> None:
    """Re-check every cached file against the SHA-256 sums shipped with skmammo."""
    expected = _expected_checksums()
    for name, digest in tqdm(sorted(expected.items()), desc="Verifying the cache", unit="file",
                             disable=not verbose):
        file = target / name
        if not file.is_file():
            raise FileNotFoundError(f"{file}: missing from the mini-MIAS cache; {_clear_hint(target)}")
        got = hashlib.sha256(file.read_bytes()).hexdigest()
        if got != digest:
            raise ValueError(
                f"{file}: {name} fails its SHA-256 check (got {got[:16]}..., expected "
                f"{digest[:16]}...): the cached copy was changed or damaged; {_clear_hint(target)}"
            )


def fetch_mias(
    data_home: str | os.PathLike | None = None,
    *,
    url: str = MIAS_URL,
    download_if_missing: bool = True,
    verify: bool = True,
    verbose: int = 0,
    **load_kwargs,
):
    """Download (once), verify, cache and load the mini-MIAS database.

    The archive is downloaded into a temporary folder inside the data home,
    every file is checked against the SHA-256 checksums shipped with
    skmammo, and only then is the extracted folder renamed into place
    (``<data_home>/mias``).  A failed or interrupted download leaves no cache
    behind; the staging folder of a download that was killed outright is
    removed by the next call.  Members that would escape the cache folder
    (absolute paths, ``..``, links) are refused.  With ``verify=True`` (the
    default) the cached files are checked against the same sums on every
    call, so a cached film changed on disk is never loaded silently.

    Parameters
    ----------
    data_home : str or path-like, optional
        Cache folder; see :func:`get_data_home`.
    url : str, default=MIAS_URL
        Where to get ``all-mias.tar.gz``: an ``http(s)://`` or ``file://``
        address, or a local path.
    download_if_missing : bool, default=True
        If False and the data is not cached, raise ``OSError``.
    verify : bool, default=True
        Re-check every cached file against its SHA-256 sum before loading
        (about 0.6 s for the 324 files, next to about 0.8 s for loading them);
        ``False`` skips it.  A freshly downloaded archive is always verified.
    verbose : int, default=0
        ``>= 1`` shows the progress bars.
    **load_kwargs
        Passed to :func:`load_mias` (``unit``, ``return_X_y``, ...).

    Returns
    -------
    Bunch or (data, target)
        As :func:`load_mias`.

    Raises
    ------
    OSError
        If the download fails, or the data is missing and
        ``download_if_missing`` is False.
    FileNotFoundError
        If the cache folder exists but lacks ``Info.txt`` (or, with
        ``verify``, any other file); the message says how to clear it.
    ValueError
        If the archive is corrupt, incomplete, unsafe or fails a checksum
        (nothing is cached then), or, with ``verify``, a cached file fails
        its checksum.

    Examples
    --------
    >>> mias = fetch_mias(unit="film")  # doctest: +SKIP
    >>> len(mias.frame)  # doctest: +SKIP
    316
    """
    home = get_data_home(data_home)
    target = home / _FOLDER
    _remove_stale_staging(home)
    fresh = False
    if not (target / "Info.txt").is_file():
        if target.exists():
            raise FileNotFoundError(
                f"{target} exists but is not a complete mini-MIAS cache (no Info.txt); "
                f"{_clear_hint(target)}"
            )
        if not download_if_missing:
            raise OSError(f"mini-MIAS is not cached in {target} and download_if_missing=False")
        fresh = True
        staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING}{os.getpid()}-", dir=home))
        try:
            archive = staging / "all-mias.tar.gz"
            _download(url, archive, verbose)
            extracted = staging / _FOLDER
            extracted.mkdir()
            _extract_verified(archive, extracted, url, verbose)
            try:
                os.replace(extracted, target)
            except OSError:
                # Another process finished the same fetch first; keep its copy.
                if not (target / "Info.txt").is_file():
                    raise
            logger.info("Cached mini-MIAS in %s", target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if verify and not fresh:
        _verify_cache(target, verbose)
    return load_mias(target, verbose=verbose, **load_kwargs)
