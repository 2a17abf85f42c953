"""load_mias on the real archive, on both Info.txt forms, and on bad input."""

from __future__ import annotations

import logging
import shutil
import tarfile
import zipfile

import numpy as np
import pytest

from skmammo.datasets import FRAME_COLUMNS, centre_in_background, load_mias
from skmammo.datasets._info import parse_info
from skmammo.datasets._pgm import read_pgm

# --------------------------------------------------------------------------
# The real archive


@pytest.mark.mias
def test_film_unit_gives_the_studys_316_films(mias_films):
    assert len(mias_films.frame) == 316
    assert np.bincount(mias_films.target).tolist() == [207, 61, 48]
    assert mias_films.target_names == ["normal", "benign", "malignant"]
    dropped = {"mdb059", "mdb216", "mdb233", "mdb245", "mdb212", "mdb214"}
    assert dropped.isdisjoint(mias_films.frame["film"])


@pytest.mark.mias
def test_lesion_unit_gives_117_lesions_and_207_normal_films(mias_lesions):
    frame = mias_lesions.frame
    assert len(frame) == 117 + 207
    lesions = frame[frame["severity"].notna()]
    assert len(lesions) == 117
    assert lesions[["x", "y", "radius"]].notna().all().all()
    assert (frame["abnormality"] == "NORM").sum() == 207
    # films with several abnormalities keep one row per lesion, sharing one image
    mdb005 = frame[frame["film"] == "mdb005"]
    assert len(mdb005) == 2
    assert mdb005["image"].iloc[0] is mdb005["image"].iloc[1]
    mdb144 = frame[frame["film"] == "mdb144"]
    assert sorted(mdb144["severity"]) == ["B", "M"]


@pytest.mark.mias
def test_keeping_everything_gives_322_films_by_first_line(mias_all_films):
    assert len(mias_all_films.frame) == 322
    assert np.bincount(mias_all_films.target).tolist() == [207, 64, 51]
    unlocated = mias_all_films.frame.set_index("film").loc[["mdb059", "mdb216", "mdb233", "mdb245"]]
    assert unlocated[["x", "y", "radius"]].isna().all().all()


@pytest.mark.mias
def test_y_is_converted_to_top_left_rows(mias_films):
    frame = mias_films.frame.set_index("film")
    assert (frame.loc["mdb001", "x"], frame.loc["mdb001", "y"]) == (535.0, 599.0)
    assert frame.loc["mdb001", "radius"] == 197.0
    # the lesion's centre is tissue, much brighter than the background
    image = frame.loc["mdb001", "image"]
    assert image[599, 535] > 100


@pytest.mark.mias
def test_frame_columns_groups_and_images(mias_films):
    frame = mias_films.frame
    assert list(mias_films.data.columns) == list(FRAME_COLUMNS)
    assert list(frame.columns) == [*FRAME_COLUMNS, "target"]
    first = frame.set_index("film").loc[["mdb001", "mdb002", "mdb003"]]
    assert first["patient"].tolist() == ["p001", "p001", "p002"]
    assert first["side"].tolist() == ["R", "L", "R"]
    assert (mias_films.groups == frame["patient"].to_numpy()).all()
    assert len(np.unique(mias_films.groups)) == 161
    image = frame["image"].iloc[0]
    assert image.dtype == np.uint8 and image.shape == (1024, 1024)
    assert not image.flags.writeable


@pytest.mark.mias
def test_dropped_films_are_logged_by_name(mias_dir, caplog):
    # at WARNING: Python users see it without configuring logging (the README promises it)
    with caplog.at_level(logging.WARNING, logger="skmammo.datasets"):
        load_mias(mias_dir, unit="film", verbose=0)
    notes = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    for film in ("mdb059", "mdb216", "mdb233", "mdb245", "mdb212", "mdb214"):
        assert film in notes


@pytest.mark.mias
def test_archive_and_folder_give_the_same_frame(mias_archive, mias_films):
    data, target = load_mias(mias_archive, unit="film", return_X_y=True, verbose=0)
    assert (target == mias_films.target).all()
    assert data["film"].tolist() == mias_films.frame["film"].tolist()
    assert np.array_equal(data["image"].iloc[10], mias_films.frame["image"].iloc[10])


@pytest.mark.mias
def test_mislocated_centres_are_detected_only_for_mdb212_and_mdb214(mias_dir):
    frame = load_mias(mias_dir, keep_mislocated=True, verbose=0).frame
    located = frame[frame["x"].notna()]
    flagged = {
        row.film
        for row in located.itertuples()
        if centre_in_background(row.image, row.x, row.y, row.radius)
    }
    assert flagged == {"mdb212", "mdb214"}


# --------------------------------------------------------------------------
# Both forms of Info.txt, on small hand-made data sets

HEADER_FORM = (
    "REFNUM BG CLASS SEVERITY X Y RADIUS \r\n"
    "mdb001 G CIRC B 20 40 6 \r\n"
    "mdb002 G NORM \r\n"
    "mdb003 D CALC M *NOTE 3* \r\n"
    "mdb004 F SPIC M 40 20 5\r\n"
    "mdb004 F MISC B 45 50 4\r\n"
)
ORIGINAL_FORM = (
    "              MAMMOGRAPHIC IMAGE ANALYSIS SOCIETY\n\n"
    "Thank you for downloading the MIAS MiniMammographic Database.\n"
    "1st column: MIAS database reference number.\n"
    "Royal Marsden Hospital, Fulham Road, London SW3 6JB\n"
    "=================================================================\n\n"
) + HEADER_FORM.replace("\r\n", "\n").split("\n", 1)[1]


def _film(value: int = 120) -> np.ndarray:
    image = np.zeros((64, 64), np.uint8)
    image[:, :56] = value  # tissue everywhere but a dark strip on the right
    return image


def _pgm(image: np.ndarray) -> bytes:
    h, w = image.shape
    return f"P5\n# made by a test\n{w} {h}\n255\n".encode() + image.tobytes()


def _write_set(folder, info_text, films=("mdb001", "mdb002", "mdb003", "mdb004")):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Info.txt").write_bytes(info_text.encode())
    for film in films:
        (folder / f"{film}.pgm").write_bytes(_pgm(_film()))
    return folder


@pytest.mark.parametrize("text", [HEADER_FORM, ORIGINAL_FORM], ids=["header", "original"])
def test_both_info_forms_parse_the_same(tmp_path, text):
    data = load_mias(_write_set(tmp_path / "set", text), verbose=0).frame
    assert data["film"].tolist() == ["mdb001", "mdb002", "mdb004", "mdb004"]
    assert data["severity"].tolist() == ["B", None, "M", "B"]
    assert data["x"].tolist()[0] == 20.0
    assert data["y"].tolist()[0] == 64 - 40
    assert data["patient"].tolist() == ["p001", "p001", "p002", "p002"]
    films = load_mias(tmp_path / "set", unit="film", keep_unlocated=True, verbose=0)
    assert films.target.tolist() == [1, 0, 2, 2]


def test_zip_archive_with_a_subfolder(tmp_path):
    folder = _write_set(tmp_path / "set", HEADER_FORM)
    archive = tmp_path / "mias.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, f"all-mias/{path.name}")
    data, target = load_mias(archive, unit="film", return_X_y=True, verbose=0)
    assert target.tolist() == [1, 0, 2]


def test_parse_info_skips_prose_and_notes():
    rows = parse_info(ORIGINAL_FORM)
    assert [r.film for r in rows] == ["mdb001", "mdb002", "mdb003", "mdb004", "mdb004"]
    assert rows[2].note == "*NOTE 3*" and not rows[2].located
    assert rows[0].line == 8  # after six lines of prose and a blank line


def test_read_pgm_handles_ascii_and_16_bit():
    assert read_pgm(b"P2\n2 2\n15\n0 15\n15 0\n").tolist() == [[0, 255], [255, 0]]
    wide = b"P5\n2 1\n65535\n" + np.array([0, 65535], ">u2").tobytes()
    assert read_pgm(wide).tolist() == [[0, 255]]


# --------------------------------------------------------------------------
# Bad input: each error names the file (and line) and says what is wrong


def test_missing_info_txt(tmp_path):
    folder = _write_set(tmp_path / "set", HEADER_FORM)
    (folder / "Info.txt").unlink()
    with pytest.raises(FileNotFoundError, match="no Info.txt"):
        load_mias(folder, verbose=0)


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder or archive"):
        load_mias(tmp_path / "nowhere", verbose=0)


def test_film_named_in_info_but_absent(tmp_path):
    folder = _write_set(tmp_path / "set", HEADER_FORM, films=("mdb001", "mdb002", "mdb004"))
    with pytest.raises(FileNotFoundError, match=r"missing: mdb003"):
        load_mias(folder, verbose=0)


def test_truncated_pgm(tmp_path):
    folder = _write_set(tmp_path / "set", HEADER_FORM)
    data = (folder / "mdb002.pgm").read_bytes()
    (folder / "mdb002.pgm").write_bytes(data[:-100])
    with pytest.raises(ValueError, match=r"mdb002\.pgm: truncated PGM"):
        load_mias(folder, verbose=0)


def test_corrupted_pgm_header(tmp_path):
    folder = _write_set(tmp_path / "set", HEADER_FORM)
    (folder / "mdb001.pgm").write_bytes(b"GIF89a not a film")
    with pytest.raises(ValueError, match=r"mdb001\.pgm: not a PGM"):
        load_mias(folder, verbose=0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("mdb002 G CIRC B 20 forty 6", r"line 3: Y 'forty' is not a number"),
        ("mdb002 G CIRC X 20 40 6", r"line 3: unknown severity 'X'"),
        ("mdb002 Q NORM", r"line 3: unknown background tissue 'Q'"),
        ("mdb002 G BLOB B 20 40 6", r"line 3: unknown abnormality class 'BLOB'"),
        ("mdb002 G CIRC B 20 40", r"line 3: expected X Y RADIUS"),
        ("mdb002 G CIRC B 20 40 0", r"line 3: radius must be positive"),
        ("mdb002 G CIRC B 20 40 -3", r"line 3: radius must be positive"),
        ("mdb002 G CIRC B 70 40 6", r"line 3: centre X=70 Y=40 of mdb002 lies outside"),
        ("mdb002 G CIRC B 20 90 6", r"line 3: centre X=20 Y=90 of mdb002 lies outside"),
        ("mdb002", r"line 3: data line 'mdb002' has too few fields"),
    ],
)
def test_bad_data_line_names_file_and_line(tmp_path, line, message):
    text = HEADER_FORM.replace("mdb002 G NORM ", line)
    folder = _write_set(tmp_path / "set", text)
    with pytest.raises(ValueError, match=message) as info:
        load_mias(folder, verbose=0)
    assert "Info.txt" in str(info.value)


def test_info_without_data_lines(tmp_path):
    folder = _write_set(tmp_path / "set", "just some prose\n", films=())
    with pytest.raises(ValueError, match="no data line found"):
        load_mias(folder, verbose=0)


def test_unreadable_archive(tmp_path):
    bad = tmp_path / "all-mias.tar.gz"
    bad.write_bytes(b"\x1f\x8b" + b"garbage" * 50)
    with pytest.raises(ValueError, match="not a readable"):
        load_mias(bad, verbose=0)


def test_corrupt_film_inside_a_tar_archive(tmp_path):
    folder = _write_set(tmp_path / "set", HEADER_FORM)
    (folder / "mdb004.pgm").write_bytes(b"P5\n64 64\n255\n" + b"\x00" * 10)
    archive = tmp_path / "set.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(folder.iterdir()):
            tar.add(path, path.name)
    shutil.rmtree(folder)
    with pytest.raises(ValueError, match=r"set\.tar\.gz:mdb004\.pgm: truncated PGM"):
        load_mias(archive, verbose=0)


def test_unit_must_be_known(tmp_path):
    with pytest.raises(ValueError, match="unit must be"):
        load_mias(tmp_path, unit="breast")
