"""Issue 17: loading never gives a silently wrong frame; bad input is refused, naming it.

Each test here failed before the fix it covers (the issue's item number is in
its name or docstring).
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from skmammo.datasets import load_mias
from skmammo.datasets._info import parse_info
from skmammo.datasets._pgm import read_pgm

INFO = (
    "REFNUM BG CLASS SEVERITY X Y RADIUS\n"
    "mdb001 G CIRC B 20 40 6\n"
    "mdb002 G NORM\n"
)


def _film(value: int = 120, shape=(64, 64)) -> np.ndarray:
    image = np.zeros(shape, np.uint8)
    image[:, : shape[1] - 8] = value
    return image


def _pgm(image: np.ndarray) -> bytes:
    h, w = image.shape
    return f"P5\n{w} {h}\n255\n".encode() + image.tobytes()


def _folder(tmp_path, info=INFO, films=None):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "Info.txt").write_text(info)
    for name, data in (films or {"mdb001": _pgm(_film()), "mdb002": _pgm(_film())}).items():
        (folder / f"{name}.pgm").write_bytes(data)
    return folder


def _tar(path, members: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


# --------------------------------------------------------------------------
# item 2: images="path" with extract_to never points at a stale file


def test_item2_stale_extracted_film_of_the_same_size_is_rewritten(tmp_path):
    archive = _tar(tmp_path / "set.tar.gz", {
        "Info.txt": INFO.encode(), "mdb001.pgm": _pgm(_film(120)), "mdb002.pgm": _pgm(_film(90)),
    })
    out = tmp_path / "films"
    out.mkdir()
    stale = _pgm(_film(33))  # same size, other pixels
    (out / "mdb001.pgm").write_bytes(stale)
    frame = load_mias(archive, images="path", extract_to=out, keep_mislocated=True).frame
    path = frame.set_index("film").loc["mdb001", "path"]
    assert Path(path).read_bytes() == _pgm(_film(120))
    # an up-to-date file is left alone (same inode: not rewritten)
    inode = (out / "mdb002.pgm").stat().st_ino
    load_mias(archive, images="path", extract_to=out, keep_mislocated=True)
    assert (out / "mdb002.pgm").stat().st_ino == inode


# --------------------------------------------------------------------------
# item 3 and 12: PGM pixels above maxval, data length, magic number


def test_item3_binary_pixel_above_maxval_is_refused_naming_value_and_maxval():
    data = b"P5\n2 1\n100\n" + bytes([50, 200])
    with pytest.raises(ValueError, match=r"film\.pgm: .*200.*maxval 100"):
        read_pgm(data, "film.pgm")
    wide = b"P5\n2 1\n1000\n" + np.array([5, 1001], ">u2").tobytes()
    with pytest.raises(ValueError, match=r"film\.pgm: .*1001.*maxval 1000"):
        read_pgm(wide, "film.pgm")


def test_item3_ascii_pixel_above_maxval_names_value_and_maxval():
    with pytest.raises(ValueError, match=r"film\.pgm: .*200.*maxval 100"):
        read_pgm(b"P2\n2 1\n100\n50 200\n", "film.pgm")


@pytest.mark.parametrize(
    "data",
    [b"P5\n2 1\n255\n\x00\xff\x07", b"P5\n2 1\n255\n\x00\xff\n", b"P2\n2 1\n255\n0 255 7\n"],
    ids=["binary", "binary-newline", "ascii"],
)
def test_item3_surplus_pixel_data_is_refused(data):
    with pytest.raises(ValueError, match=r"film\.pgm: PGM with surplus data: the 2x1 film"):
        read_pgm(data, "film.pgm")


@pytest.mark.parametrize("magic", [b"P5x", b"P55", b"P2a"])
def test_item12_magic_number_must_stand_alone(magic):
    with pytest.raises(ValueError, match=r"film\.pgm: not a PGM"):
        read_pgm(magic + b"\n2 1\n255\n\x00\xff", "film.pgm")


@pytest.mark.parametrize("token", [b"+2", b"2_0", b"0x2"])
def test_pgm_header_numbers_are_plain_decimal(token):
    with pytest.raises(ValueError, match=r"film\.pgm: malformed PGM header"):
        read_pgm(b"P5\n" + token + b" 1\n255\n" + bytes(2), "film.pgm")


@pytest.mark.parametrize("value", [b"abc", b"99999999999999999999999", b"+5", b"-1"])
def test_ascii_pixel_that_is_not_a_number_names_the_file(value):
    with pytest.raises(ValueError, match=r"film\.pgm: "):
        read_pgm(b"P2\n2 1\n255\n0 " + value + b"\n", "film.pgm")


# --------------------------------------------------------------------------
# item 11: film size cap, checked from the header


def test_item11_film_larger_than_max_pixels_is_refused_from_the_header():
    header_only = b"P5\n20000 20000\n255\n"  # 400 million pixels, no data needed to refuse
    with pytest.raises(ValueError, match=r"big\.pgm: .*20000x20000.*max_pixels"):
        read_pgm(header_only, "big.pgm")
    assert read_pgm(b"P5\n2 2\n255\n" + bytes(4), "ok.pgm", max_pixels=4).shape == (2, 2)
    with pytest.raises(ValueError, match=r"max_pixels=3"):
        read_pgm(b"P5\n2 2\n255\n" + bytes(4), "ok.pgm", max_pixels=3)


def test_item11_archive_bomb_is_refused_before_decompressing(tmp_path, monkeypatch):
    # a 400-megapixel film compresses to a few hundred kB; refused from its header
    big = b"P5\n20000 20000\n255\n"
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Info.txt", "mdb001 G NORM\n")
        with zf.open("mdb001.pgm", "w", force_zip64=True) as member:
            member.write(big)
            chunk = bytes(1 << 20)
            for _ in range(400):
                member.write(chunk)
    assert archive.stat().st_size < 2_000_000
    read_sizes = []
    real_read = zipfile.ZipExtFile.read

    def spy(self, n=-1):
        out = real_read(self, n)
        read_sizes.append(len(out))
        return out

    monkeypatch.setattr(zipfile.ZipExtFile, "read", spy)
    with pytest.raises(ValueError, match=r"mdb001\.pgm: .*20000x20000.*max_pixels"):
        load_mias(archive)
    assert sum(read_sizes) < 10_000_000  # the pixels were never decompressed
    with pytest.raises(ValueError, match=r"max_pixels=1000"):
        load_mias(_folder(tmp_path), max_pixels=1000)


def test_item11_max_pixels_must_be_a_positive_integer(tmp_path):
    with pytest.raises(ValueError, match="max_pixels"):
        load_mias(_folder(tmp_path), max_pixels=0)


# --------------------------------------------------------------------------
# item 4: a mistyped film id on a data line is an error, not prose


@pytest.mark.parametrize("ref", ["mdb0O3", "mdb003,", "MDB-003", "mdb", "mbd003"])
def test_item4_mistyped_film_id_names_the_line(ref):
    text = INFO + f"{ref} D CIRC B 10 10 5\n"
    with pytest.raises(ValueError, match=rf"Info\.txt, line 4: .*{ref}"):
        parse_info(text, "Info.txt")


def test_item4_prose_lines_stay_skipped():
    text = "MIAS database\nmdb numbers: see below\nThe mdb films are 1024 wide\n" + INFO
    with pytest.raises(ValueError, match=r"line 2"):
        parse_info(text)  # 'mdb numbers: ...' looks like a data line: refused
    text = "MIAS database\nThe mdb films are 1024 wide\nmdbNNN reference numbers\n" + INFO
    with pytest.raises(ValueError, match=r"line 3"):
        parse_info(text)
    text = "MIAS database\nThe mdb films are 1024 wide\n1st column: mdb reference\n" + INFO
    assert [a.film for a in parse_info(text)] == ["mdb001", "mdb002"]


# --------------------------------------------------------------------------
# item 6: radius and coordinates outside the film: refused at load time, naming the film


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("mdb001 G CIRC B 20 40 1000000", r"line 2: radius 1e\+06 of mdb001 .*64x64"),
        ("mdb001 G CIRC B 20 40 65", r"line 2: radius 65 of mdb001"),
        ("mdb001 G CIRC B 1000000 40 6", r"line 2: centre X=1e\+06 Y=40 of mdb001 lies outside"),
        ("mdb001 G CIRC B 20 -1e6 6", r"line 2: centre X=20 Y=-1e\+06 of mdb001 lies outside"),
    ],
)
def test_item6_radius_and_centre_beyond_the_film(tmp_path, line, message):
    folder = _folder(tmp_path, INFO.replace("mdb001 G CIRC B 20 40 6", line))
    with pytest.raises(ValueError, match=message):
        load_mias(folder)


def test_item6_radius_of_the_films_longer_side_is_accepted(tmp_path):
    folder = _folder(tmp_path, INFO.replace("20 40 6", "20 40 64"))
    frame = load_mias(folder, keep_mislocated=True).frame
    assert frame["radius"].iloc[0] == 64


# --------------------------------------------------------------------------
# item 12: both ends of MIAS's Y (origin bottom-left, row = height - Y)


@pytest.mark.parametrize(("y_mias", "row"), [(64, 0), (1, 63), (32, 32)])
def test_item12_y_range_is_1_to_height(tmp_path, y_mias, row):
    folder = _folder(tmp_path, INFO.replace("20 40 6", f"0 {y_mias} 6"))
    frame = load_mias(folder, keep_mislocated=True).frame
    assert (frame["x"].iloc[0], frame["y"].iloc[0]) == (0.0, row)


@pytest.mark.parametrize(("x", "y_mias"), [(0, 0), (64, 10), (-1, 10), (10, 65)])
def test_item12_centres_off_the_film_are_refused_explaining_the_convention(tmp_path, x, y_mias):
    folder = _folder(tmp_path, INFO.replace("20 40 6", f"{x} {y_mias} 6"))
    with pytest.raises(ValueError, match=r"lies outside .* 0\.\.63 .* 1\.\.64"):
        load_mias(folder)


# --------------------------------------------------------------------------
# item 9: ambiguous sources are refused, naming both candidates


def test_item9_two_films_of_one_name_in_an_archive(tmp_path):
    archive = _tar(tmp_path / "set.tar.gz", {
        "Info.txt": INFO.encode(), "a/mdb001.pgm": _pgm(_film(120)),
        "b/mdb001.pgm": _pgm(_film(90)), "mdb002.pgm": _pgm(_film()),
    })
    with pytest.raises(ValueError, match=r"a/mdb001\.pgm.*b/mdb001\.pgm"):
        load_mias(archive)


def test_item9_two_info_files_in_an_archive(tmp_path):
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("all-mias/Info.txt", INFO)
        zf.writestr("old/Info.txt", INFO.replace("mdb002 G NORM", "mdb002 G CIRC M 5 5 5"))
        zf.writestr("all-mias/mdb001.pgm", _pgm(_film()))
        zf.writestr("all-mias/mdb002.pgm", _pgm(_film()))
    with pytest.raises(ValueError, match=r"all-mias/Info\.txt.*old/Info\.txt"):
        load_mias(archive)


def test_item9_info_txt_in_two_cases_in_a_folder(tmp_path):
    folder = _folder(tmp_path)
    (folder / "INFO.TXT").write_text(INFO)
    try:
        names = {p.name for p in folder.iterdir()}
    except OSError:  # pragma: no cover
        names = set()
    if "INFO.TXT" not in names or "Info.txt" not in names:
        pytest.skip("case-insensitive file system")
    with pytest.raises(ValueError, match=r"INFO\.TXT.*Info\.txt"):
        load_mias(folder)


# --------------------------------------------------------------------------
# Archive errors stay ValueErrors naming the archive


def test_corrupt_deflate_stream_in_a_zip_names_the_archive(tmp_path):
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Info.txt", INFO)
        zf.writestr("mdb001.pgm", _pgm(_film()))
        zf.writestr("mdb002.pgm", _pgm(_film()))
    raw = bytearray(archive.read_bytes())
    start = raw.index(b"mdb001.pgm") + len(b"mdb001.pgm")
    raw[start + 5 : start + 40] = b"\xff" * 35  # garble the compressed pixels
    archive.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"set\.zip"):
        load_mias(archive)


# --------------------------------------------------------------------------
# The real archive: the same frames as before the hardening, bit for bit


def _frame_digest(bunch) -> str:
    frame = bunch.frame
    # pixel_mm came later (issue 13): one value for every film, checked on its own;
    # lesion (issue 19) too: 0 on a normal film, else the abnormality's number on its film;
    # view (issue 18) too: every mini-MIAS film is a medio-lateral oblique view.
    assert (frame["pixel_mm"] == 0.2).all()
    assert ((frame["lesion"] == 0) == (frame["target"] == 0)).all()
    assert (frame["view"] == "MLO").all()
    columns = [c for c in frame.columns
               if c not in ("image", "path", "pixel_mm", "lesion", "view")]
    digest = hashlib.sha256(frame[columns].to_csv(index=False).encode())
    for image in frame["image"]:
        digest.update(hashlib.sha256(image.tobytes()).digest())
        digest.update(str(image.shape).encode())
    return digest.hexdigest()


@pytest.mark.mias
def test_mias_frames_are_unchanged(mias_films, mias_lesions, mias_all_films):
    # digests of the frames (rows, coordinates, labels, pixels) made before issue 17
    assert _frame_digest(mias_films) == (
        "b8436bc0c1d4d4333611ec508fe76e1ea18772578a85af4b1221f635c6aadfc1")
    assert _frame_digest(mias_lesions) == (
        "d07c88152e243a95520d967f90b7de2699107c6447d0284b5fea785788058531")
    assert _frame_digest(mias_all_films) == (
        "89bdcc198eaed29cc1bd99176c785b115243f9deed2584e9837dcfa108af4f5f")
