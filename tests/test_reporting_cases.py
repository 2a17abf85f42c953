"""Case reports: the lesion outlined on the crop and the overlays, codes in words, stable names
by lesion, near-zero maps drawn flat, maps on the border flagged, the true class's maps of a
misclassified case.  Plain data, no network; no PDF is rendered here."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from skmammo.datasets import code_words, load_mias
from skmammo.evaluation import evaluate_predictions
from skmammo.explain.metrics import border_share, near_zero, padding_share
from skmammo.reporting import ReportBuilder, case_label, case_stem, figures
from skmammo.reporting._case import Case

CROP = 48


def _frame() -> pd.DataFrame:
    """mdb226 holds three lesions (numbered as the data set lists them), mdb003 is normal."""
    film = np.full((200, 200), 60, np.uint8)
    rows = [
        {"film": "mdb226", "x": 60.0, "y": 50.0, "radius": 10.0, "lesion": 1, "severity": "B"},
        {"film": "mdb226", "x": 150.0, "y": 60.0, "radius": 8.0, "lesion": 2, "severity": "B"},
        {"film": "mdb226", "x": 100.0, "y": 150.0, "radius": 12.0, "lesion": 3, "severity": "M"},
        {"film": "mdb003", "x": np.nan, "y": np.nan, "radius": np.nan, "lesion": 0, "severity": None},
    ]
    for r in rows:
        r.update(image=film, patient="p1", side="L", tissue="D",
                 abnormality="NORM" if r["severity"] is None else "SPIC")
    return pd.DataFrame(rows)


def _builder(frame, proba, target, heatmaps=None, boxes=None, lime=None, **kw):
    n = len(frame)
    if boxes is None:  # a 2x-downscaling box, 96 film pixels wide, centred on the lesion
        boxes = np.array([[(80 if np.isnan(x) else x) - 48, (80 if np.isnan(y) else y) - 48,
                           (80 if np.isnan(x) else x) + 48, (80 if np.isnan(y) else y) + 48]
                          for x, y in zip(frame.x, frame.y)], dtype=float)
    crops = np.full((n, CROP, CROP), 90, np.uint8)
    yy, xx = np.mgrid[:CROP, :CROP]
    blob = np.exp(-((xx - CROP / 2) ** 2 + (yy - CROP / 2) ** 2) / 50.0)
    if heatmaps is None:
        heatmaps = np.repeat(blob[None], n, axis=0)
    ex = {"gradcam": SimpleNamespace(heatmaps=heatmaps, probabilities=proba, images=crops, boxes=boxes,
                                     targets=proba.argmax(1), seconds_per_image=0.1)}
    ex["lime"] = SimpleNamespace(heatmaps=heatmaps - 0.3 if lime is None else lime, probabilities=proba,
                                 images=crops, boxes=boxes, targets=proba.argmax(1), seconds_per_image=5.0)
    ev = evaluate_predictions(np.asarray(target), proba)
    return ReportBuilder(ev, explanations=ex, cases=frame, case_target=np.asarray(target), **kw)


PROBA = np.array([[0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.7, 0.2], [0.9, 0.05, 0.05]])
TARGET = [1, 1, 2, 0]  # the third row (mdb226 lesion 3) is misclassified: malignant as benign


# ------------------------------------------------------------------ the lesion circle


def test_the_lesion_circle_is_mapped_into_the_crop():
    b = _builder(_frame(), PROBA, TARGET)
    # box 12..108 x 2..98 (96 px) -> crop of 48: scale 0.5; film pixel 60 covers crop edges
    # 24..24.5, so the centre (60, 50) -> (23.75, 23.75), radius 5
    assert Case.of(b, 0).circle == pytest.approx((23.75, 23.75, 5.0))
    assert Case.of(b, 3).circle is None  # a normal film has no circle
    shifted = _builder(_frame(), PROBA, TARGET,
                       boxes=np.array([[40.0, 30.0, 88.0, 78.0]] * 4))  # no scaling, shifted
    assert Case.of(shifted, 0).circle == pytest.approx((20.0, 20.0, 10.0))


def _green(uri: str) -> np.ndarray:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB")).astype(int)
    want = np.array([0x00, 0xFF, 0x66])
    return np.abs(img - want).sum(axis=2) < 40


def test_the_outline_is_drawn_where_the_lesion_is():
    crop = np.full((CROP, CROP), 100, np.uint8)
    h = np.zeros((CROP, CROP))
    assert not _green(figures.explanation_figure(crop, h, "gradcam")).any()  # no circle: no green
    top_left = _green(figures.explanation_figure(crop, h, "gradcam", circle=(10, 10, 5)))
    bottom_right = _green(figures.explanation_figure(crop, h, "gradcam", circle=(38, 38, 5)))
    assert top_left.sum() > 20 and bottom_right.sum() > 20
    (y1, x1), (y2, x2) = (np.argwhere(m).mean(axis=0) for m in (top_left, bottom_right))
    assert y1 < y2 - 20 and x1 < x2 - 20  # the circles sit where their centres say
    film = np.full((200, 200), 60, np.uint8)
    assert _green(figures.case_film_figure(film, crop=crop, crop_circle=(24, 24, 5))).any()


def test_case_html_says_what_the_circle_is():
    b = _builder(_frame(), PROBA, TARGET)
    assert "green dashed circle" in b.case_html(0) and "mapped into it" in b.case_html(0)
    assert "No lesion circle is drawn" in b.case_html(3)


# ------------------------------------------------------------------ codes in words


def test_codes_are_shown_in_words():
    assert code_words("tissue", "G") == "fatty-glandular (G)"
    assert code_words("abnormality", "CALC") == "calcification (CALC)"
    html = _builder(_frame(), PROBA, TARGET).case_html(2)
    for words in ("dense-glandular (D)", "spiculated mass (SPIC)", "malignant (M)"):
        assert words in html


# ------------------------------------------------------------------ names by lesion


def test_case_names_follow_the_lesion_not_the_rows_given():
    frame = _frame()
    b = _builder(frame, PROBA, TARGET)
    assert b.case_names == ["mdb226-lesion1", "mdb226-lesion2", "mdb226-lesion3", "mdb003"]
    order = [2, 3, 0]  # a subset, reordered
    sub = _builder(frame.iloc[order], PROBA[order], [TARGET[i] for i in order])
    assert sub.case_names == ["mdb226-lesion3", "mdb003", "mdb226-lesion1"]
    assert len(set(b.case_names)) == len(b.case_names)
    assert case_label(frame.iloc[1]) == "mdb226 lesion 2"
    # without a `lesion` column, by the lesion's centre
    assert case_stem(frame.drop(columns="lesion").iloc[1]) == "mdb226-x150-y60"


def test_the_gallery_captions_name_the_lesion():
    html = _builder(_frame(), PROBA, TARGET).summary_html()
    for k in (1, 2, 3):
        assert f"mdb226 lesion {k}" in html


def test_mias_numbers_a_films_lesions_in_info_txt_order(tmp_path):
    info = ("mdb001 G CIRC B 20 40 6\nmdb002 G NORM\nmdb001 G CIRC M 40 30 5\n"
            "mdb003 F CALC B 30 30 4\n")
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "Info.txt").write_text(info)
    film = np.zeros((64, 64), np.uint8)
    film[:, :56] = 120
    for name in ("mdb001", "mdb002", "mdb003"):
        (folder / f"{name}.pgm").write_bytes(b"P5\n64 64\n255\n" + film.tobytes())
    frame = load_mias(folder).data
    got = dict(zip(zip(frame.film, frame.x.fillna(-1)), frame.lesion))
    assert got == {("mdb001", 20.0): 1, ("mdb001", 40.0): 2, ("mdb002", -1): 0, ("mdb003", 30.0): 1}


# ------------------------------------------------------------------ flat maps, border flags


def test_near_zero_weights_are_drawn_flat_with_a_note():
    assert near_zero(np.full((4, 4), 3e-5)) and not near_zero(np.full((4, 4), 0.05))
    tiny = np.random.RandomState(0).normal(0, 1e-5, (4, CROP, CROP))
    html = _builder(_frame(), PROBA, TARGET, lime=tiny).case_html(0)
    assert "Weights near zero" in html and "the model is saturated" in html
    html = _builder(_frame(), PROBA, TARGET).case_html(0)  # weights of 0.1 and more: no note
    assert "Weights near zero" not in html


def test_a_map_on_the_crop_border_is_flagged():
    band = np.zeros((CROP, CROP))
    band[:, :3] = 1.0  # all on the left edge
    assert border_share(band) == 1.0
    assert border_share(np.ones((50, 50))) == pytest.approx(0.36)
    centre = np.zeros((CROP, CROP))
    centre[20:28, 20:28] = 1.0
    assert border_share(centre) == 0.0 and np.isnan(border_share(np.zeros((4, 4))))
    html = _builder(_frame(), PROBA, TARGET, heatmaps=np.repeat(band[None], 4, axis=0)).case_html(0)
    assert "lies on the crop border" in html and "likely an artefact" in html
    assert "lies on the crop border" not in _builder(_frame(), PROBA, TARGET).case_html(0)


def test_a_map_on_padding_is_flagged():
    ones = np.ones((10, 10))
    assert padding_share(ones, (-5, 0, 5, 10), (20, 20)) == 0.5
    assert padding_share(ones, (0, 0, 10, 10), (20, 20)) == 0.0
    left = np.zeros((CROP, CROP))
    left[:, :20] = 1.0  # the left 20 of 48 columns: film columns -40..0 are padding
    boxes = np.array([[-40.0, 0.0, 56.0, 96.0]] * 4)
    html = _builder(_frame(), PROBA, TARGET, heatmaps=np.repeat(left[None], 4, axis=0),
                    boxes=boxes).case_html(0)
    assert "lies on padding" in html


# ------------------------------------------------------------------ the true class


def test_a_misclassified_case_also_shows_the_true_class():
    per_class = np.repeat(np.random.RandomState(1).uniform(size=(1, 3, CROP, CROP)), 4, axis=0)
    b = _builder(_frame(), PROBA, TARGET, heatmaps=per_class, lime=per_class - 0.5)
    wrong = b.case_html(2)  # true malignant, predicted benign
    for method in ("Grad-CAM", "LIME"):
        assert f"<strong>{method}</strong>: explained class benign (predicted)" in wrong
        assert f"<strong>{method}</strong>: explained class malignant (true class)" in wrong
    assert wrong.count("<img") == 1 + 2 * 2  # film, and two figures per method
    right = b.case_html(0)
    assert "(true class)" not in right and right.count("<img") == 1 + 2
    # maps of the predicted class only: said, not hidden
    only = _builder(_frame(), PROBA, TARGET).case_html(2)
    assert "(true class)" not in only and 'target="all"' in only


def test_the_gallery_flags_a_map_on_the_crop_border():
    band = np.zeros((CROP, CROP))
    band[:4, :] = 1.0
    html = _builder(_frame(), PROBA, TARGET, heatmaps=np.repeat(band[None], 4, axis=0)).summary_html()
    assert html.count("mostly on the crop border: artefact?") == 4
    assert "mostly on the crop border: artefact?" not in _builder(_frame(), PROBA, TARGET).summary_html()


def test_the_case_title_names_the_lesion():
    b = _builder(_frame(), PROBA, TARGET)
    assert "<h1>Case report: mdb226 lesion 2</h1>" in b.case_html(1)
    assert "<h1>Case report: film mdb003</h1>" in b.case_html(3)


def test_a_hot_band_on_the_edge_of_a_lukewarm_map_is_flagged():
    """Grad-CAM's typical artefact: most mass spread inside, the hottest pixels on one edge."""
    h = np.full((CROP, CROP), 0.3)
    h[-3:, :] = 1.0
    assert border_share(h) < 0.5 and border_share(h, top=0.05) == 1.0
    html = _builder(_frame(), PROBA, TARGET, heatmaps=np.repeat(h[None], 4, axis=0)).case_html(0)
    assert "of its hottest 5% of pixels in the outer 10% frame" in html
