"""Explanations of a scan's top candidates on the whole film, and the scan report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skmammo.datasets import make_synthetic_mammograms
from skmammo.pipeline import make_pipeline
from skmammo.reporting import ScanReport
from skmammo.scan import explain_candidates


@pytest.fixture(scope="module")
def films():
    return make_synthetic_mammograms(24, image_size=128, random_state=0)


@pytest.fixture(scope="module")
def fitted(films):
    return make_pipeline(size=32, epochs=1, validation_fraction=0, augment=False, balance=None,
                         random_state=0).fit(films.frame, films.target)


@pytest.fixture(scope="module")
def scanned(fitted, films):
    X = films.frame.iloc[:3]
    scan = fitted.scan(X, max_candidates=4)
    explained = explain_candidates(fitted, X, scan, methods=["hirescam", "occlusion"],
                                   n_candidates=2)
    return X, scan, explained


def test_top_candidates_are_the_scans_own_windows(scanned):
    _, scan, explained = scanned
    # two per film, most abnormal first, ranked 1, 2
    assert len(explained) == 6
    assert explained.candidates["rank"].tolist() == [1, 2] * 3
    expected = scan.candidates.groupby("film", sort=False).head(2).reset_index(drop=True)
    for method in ("hirescam", "occlusion"):
        e = explained.explanations[method]
        assert e.images.shape == (6, 32, 32) and e.films.tolist() == expected["film"].tolist()
        # the explained crop is the window the scan scored: same probabilities (exact scan)
        np.testing.assert_allclose(e.probabilities, expected[["p_0", "p_1", "p_2"]], atol=1e-5)
        # explained for the candidate's class, not the predicted one
        assert e.targets.tolist() == expected["class"].tolist()
        # the box is the candidate's window in film pixels
        np.testing.assert_allclose(e.boxes, expected[["x0", "y0", "x1", "y1"]], atol=0.5)


def test_candidates_in_any_row_order_give_the_same_explanations(fitted, films, scanned):
    from dataclasses import replace

    X, scan, explained = scanned
    shuffled = replace(scan, candidates=scan.candidates.sample(frac=1.0, random_state=3))
    again = explain_candidates(fitted, X, shuffled, methods="hirescam", n_candidates=2)
    pd.testing.assert_frame_equal(again.candidates, explained.candidates)
    np.testing.assert_allclose(again.explanations["hirescam"].heatmaps,
                               explained.explanations["hirescam"].heatmaps, atol=1e-6)


def test_heatmap_lands_on_the_film_inside_the_candidates_window(scanned):
    _, _, explained = scanned
    e = explained.explanations["hirescam"]
    for i in range(len(explained)):
        placed = explained.to_film(i)
        film = explained.candidates["film"].iloc[i]
        assert placed.shape == explained.shapes[film] == (128, 128)
        x0, y0, x1, y1 = (int(round(v)) for v in e.boxes[i])
        inside = placed[y0:y1, x0:x1]
        assert inside.sum() > 0 and np.isclose(inside.sum(), placed.sum())
        # the hottest pixel on the film is where the hottest crop pixel lies in the window
        r, c = np.unravel_index(np.argmax(e.heatmaps[i]), e.heatmaps[i].shape)
        fr, fc = np.unravel_index(np.argmax(placed), placed.shape)
        assert abs(fr - (y0 + (r + 0.5) * (y1 - y0) / 32)) <= 2
        assert abs(fc - (x0 + (c + 0.5) * (x1 - x0) / 32)) <= 2
    film = explained.candidates["film"].iloc[0]
    both = explained.film_heatmap(film, "occlusion")
    mask = explained.mask(film)
    assert not both[~mask].any() and np.abs(both[mask]).max() > 0
    assert explained.to_frame()["seconds_occlusion"].notna().all()


def test_bad_input_is_a_clear_error(fitted, films, scanned):
    X, scan, _ = scanned
    with pytest.raises(ValueError, match="are not in X; pass the frame that was scanned"):
        explain_candidates(fitted, films.frame.iloc[5:7], scan)
    with pytest.raises(ValueError, match="nosuch"):
        explain_candidates(fitted, X, scan, methods="nosuch")
    with pytest.raises(ValueError, match="unknown parameter"):
        explain_candidates(fitted, X, scan, method_params={"hirescam": {"n_samples": 3}})
    none = explain_candidates(fitted, X, scan, n_candidates=0)
    assert len(none) == 0 and none.explanations == {"hirescam": None}
    text = " ".join(ScanReport(scan, X, explained=none).files(pdf=False)["report.html"].split())
    assert "The first 0 candidates" not in text and "No candidate was explained." in text


def test_scan_report_shows_every_film_its_candidates_and_the_model(scanned):
    X, scan, explained = scanned
    info = {"estimator": "MammoPipeline", "window": {"mode": "window", "window_mm": 51.2,
                                                      "size": 32},
            "training_data": {"description": "24 synthetic films", "pixel_mm": 0.8},
            "versions": {"skmammo": "0.1.0", "keras": "3.0"}}
    files = ScanReport(scan, X, explained=explained, model_info=info).files(pdf=True)
    html = files["report.html"]
    assert "Research use only; not a diagnosis" in html
    for film in scan.films:
        assert f"Film {film}" in html
    assert "24 synthetic films" in html and "51.2 mm, 32 network pixels" in html
    assert html.count("Candidates (x, y: the window") == 3
    assert html.count("Explained candidates") == 3 and "Candidate 2</strong>" in html
    assert "HiResCAM" in html and "Occlusion" in html and "abnormality, 1 − P(normal)" in html
    assert "at least half a window apart;" in html
    assert files["report.pdf"][:4] == b"%PDF"
    with pytest.raises(ValueError, match="not in films"):
        ScanReport(scan, X.iloc[:1])


def test_a_failing_explanation_leaves_no_result_file_in_the_output_folder(fitted, scanned,
                                                                          tmp_path):
    from skmammo.apply import scan_to_folder

    X, _, _ = scanned
    out = tmp_path / "out"
    # the scan succeeds; LIME refuses the parameter after it: no CSV file or report is left
    # behind, only the scan's finished chunks, which the rerun reuses
    with pytest.raises(ValueError, match="unknown parameter"):
        scan_to_folder(fitted, X, out, methods=["hirescam", "lime"],
                       method_params={"lime": {"no_such_parameter": 1}})
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["chunks"]
    done = scan_to_folder(fitted, X.iloc[:1], out, n_explained=1, pdf=False)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "candidates.csv", "chunks", "film_scores.csv", "report.html"]
    assert "pdf" not in done.paths and done.paths["html"] == out / "report.html"
    assert len(done.explained) == 1 and done.explained.methods == ["hirescam"]
    # reading options with a frame already read: an error, not silently ignored
    for option in ({"pixel_mm": 0.4}, {"recursive": True}):
        with pytest.raises(ValueError, match="a frame already read"):
            scan_to_folder(fitted, X.iloc[:1], tmp_path / "other", **option)


def test_the_report_says_when_a_film_has_no_breast(fitted, films):
    X = films.frame.iloc[:2].copy()
    X["image"] = [X["image"].iloc[0], np.zeros_like(X["image"].iloc[1])]
    X["film"] = ["tissue", "black"]
    scan = fitted.scan(X)
    text = " ".join(ScanReport(scan, X).files(pdf=False)["report.html"].split())
    assert text.count("No breast was found on this film") == 1
    assert text.index("Film black") < text.index("No breast was found")
