"""Read-time resampling to a common pixel size: ``Resample`` and ``place_film``."""

from __future__ import annotations

import pickle

import cv2
import numpy as np
import pandas as pd
import pytest

from skmammo.datasets._resample import Resample, place_film
from skmammo.preprocessing import ROICropper


def _film_with_spots(rows=300, columns=240, spots=((60, 90), (170, 210))):
    """A dark film with bright 9-pixel discs at ``(x, y)``: the tissue to find again."""
    film = np.full((rows, columns), 20, np.uint8)
    for x, y in spots:
        cv2.circle(film, (x, y), 9, 230, -1)
    return film


def _centre_of_mass(film, x, y, half):
    x0, y0 = int(round(x)) - half, int(round(y)) - half
    patch = film[y0:y0 + 2 * half + 1, x0:x0 + 2 * half + 1].astype(float) - 20
    patch = np.clip(patch, 0, None)
    ys, xs = np.indices(patch.shape)
    return x0 + (xs * patch).sum() / patch.sum(), y0 + (ys * patch).sum() / patch.sum()


def test_resample_sizes_methods_equality_and_pickling():
    film = _film_with_spots()
    half, double = Resample(0.5), Resample(2.0)
    assert half(film).shape == (150, 120) and double(film).shape == (600, 480)
    assert Resample(0.35).shape(300, 240) == (105, 84)  # round(300 * .35), round(240 * .35)
    assert np.array_equal(half(film), cv2.resize(film, (120, 150), interpolation=cv2.INTER_AREA))
    assert np.array_equal(double(film),
                          cv2.resize(film, (480, 600), interpolation=cv2.INTER_LINEAR))
    assert Resample(1.0)(film) is film
    assert half == Resample(0.5) and half != double and half != 0.5
    assert len({half, Resample(0.5)}) == 1 and repr(half) == "Resample(0.5)"
    assert pickle.loads(pickle.dumps(half)) == half
    with pytest.raises(ValueError, match="positive"):
        Resample(0)


@pytest.mark.parametrize("native_mm, pixel_mm", [(0.1, 0.2), (0.07, 0.2), (0.2, 0.1)])
def test_coordinates_land_on_the_same_tissue(native_mm, pixel_mm):
    spots = ((60, 90), (170, 210))
    film = _film_with_spots(spots=spots)
    for x, y in spots:
        row = {"image": film, "x": float(x), "y": float(y), "radius": 9.0,
               "xmin": x - 9.0, "xmax": x + 9.0, "ymin": y - 9.0, "ymax": y + 9.0}
        placed = place_film(row, native_mm=native_mm, pixel_mm=pixel_mm, source="given")
        factor = native_mm / pixel_mm
        assert placed["image"].shape == (round(300 * factor), round(240 * factor))
        found = _centre_of_mass(placed["image"], placed["x"], placed["y"],
                                int(np.ceil(12 * factor)))
        assert np.allclose(found, (placed["x"], placed["y"]), atol=0.35)
        assert placed["radius"] == pytest.approx(9 * factor, rel=0.02)
        assert placed["xmax"] - placed["xmin"] == pytest.approx(18 * factor, rel=0.02)
        assert placed["ymin"] < placed["y"] < placed["ymax"]
        assert (placed["pixel_mm"], placed["native_pixel_mm"], placed["pixel_source"]) == \
            (pixel_mm, native_mm, "given")


def test_rows_of_one_film_keep_sharing_one_film():
    film = _film_with_spots()
    a, b = (place_film({"image": film, "x": x, "y": 5.0}, native_mm=0.1, pixel_mm=0.2,
                       source="default") for x in (3.0, 7.0))
    assert a["image"] is b["image"] and not a["image"].flags.writeable
    other = place_film({"image": film.copy()}, native_mm=0.1, pixel_mm=0.2, source="default")
    assert other["image"] is not a["image"]
    p, q = (place_film({"path": "f.png", "rows": 300, "columns": 240, "pending": ()},
                       native_mm=0.1, pixel_mm=0.2, source="PixelSpacing") for _ in range(2))
    assert p["pending"] is q["pending"] and p["pending"] == (Resample(0.5),)
    assert (p["rows"], p["columns"]) == (150, 120)


def test_no_target_or_same_size_keeps_the_film():
    film = _film_with_spots()
    kept = place_film({"image": film, "x": 4.0}, native_mm=0.07, pixel_mm=None,
                      source="ImagerPixelSpacing")
    assert kept["image"] is film and kept["x"] == 4.0 and kept["pixel_mm"] == 0.07
    same = place_film({"path": "f.png", "rows": 3, "columns": 4}, native_mm=0.2, pixel_mm=0.2,
                      source="given")
    assert "pending" not in same and same["rows"] == 3
    with pytest.raises(ValueError, match="source"):
        place_film({"image": film}, native_mm=0.1, pixel_mm=0.2, source="guess")
    with pytest.raises(ValueError, match="rows"):
        place_film({"path": "f.png"}, native_mm=0.1, pixel_mm=0.2, source="given")


def test_path_and_array_frames_give_the_same_crops(tmp_path):
    spots = ((60, 90), (170, 210))
    film = _film_with_spots(spots=spots)
    cv2.imwrite(str(tmp_path / "f.png"), film)
    common = [{"film": "f", "patient": "p", "x": float(x), "y": float(y), "radius": 9.0,
               "rows": 300, "columns": 240} for x, y in spots]
    by_array = pd.DataFrame([place_film({"image": film, **row}, native_mm=0.07, pixel_mm=0.2,
                                        source="given") for row in common])
    by_path = pd.DataFrame([place_film({"path": str(tmp_path / "f.png"), **row},
                                       native_mm=0.07, pixel_mm=0.2, source="given")
                            for row in common])
    assert by_path["pending"].iloc[0] is by_path["pending"].iloc[1]
    cropper = ROICropper(size=16, window_mm=6.4)  # 32 pixels of 0.2 mm
    from_array = cropper.fit_transform(by_array)
    from_path = cropper.fit_transform(by_path)
    assert np.array_equal(from_array, from_path)
    assert from_array.reshape(len(from_array), -1).max(axis=1).min() > 150  # the spots
