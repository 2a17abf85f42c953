"""Whole-film evaluation: FROC, film AUCs, the baseline scanner, fold by fold (issue 14)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from skmammo.datasets import make_synthetic_mammograms
from skmammo.evaluation import film_evaluation, film_roc_auc, film_targets, froc, repeated_evaluation
from skmammo.scan import FilmGrid, FilmScan, baseline_scan

NAN = np.nan


def _scan(films, candidates, scores=None, classes=(0, 1, 2)):
    cands = pd.DataFrame(candidates, columns=["film", "x", "y", "score"])
    if scores is None:
        scores = np.zeros((len(films), len(classes)))
    return FilmScan(films=np.asarray(films, dtype=object), classes=np.asarray(classes),
                    grids=[], scores=np.asarray(scores, float), candidates=cands, top_k=1,
                    exact=True)


# Film A: two lesions; B: one; C and D normal (one row each, NaN centre).
FRAME = pd.DataFrame({
    "film": ["A", "A", "B", "C", "D"],
    "x": [100.0, 300.0, 50.0, NAN, NAN],
    "y": [100.0, 300.0, 50.0, NAN, NAN],
    "radius": [20.0, 30.0, 10.0, NAN, NAN],
    "target": [1, 2, 1, 0, 0],
})
CANDIDATES = [
    ("A", 100, 105, 0.9),   # hits A's first lesion
    ("A", 110, 100, 0.8),   # hits it again: neither a new hit nor a false positive
    ("C", 100, 100, 0.7),   # where A's lesion is, but on a normal film: false positive
    ("B", 200, 200, 0.6),   # misses B's lesion: false positive
    ("A", 300, 329, 0.5),   # inside A's second circle (29 < 30)
    ("D", 0, 0, 0.4),       # false positive
    ("C", 5, 5, 0.3),       # false positive
    ("B", 55, 52, 0.2),     # hits B's lesion
]


def test_froc_matches_a_hand_computation():
    result = froc(_scan(["A", "B", "C", "D"], CANDIDATES), FRAME)
    # (FP per film, sensitivity) after each threshold, worked out by hand:
    # 0.9 (0, 1/3), 0.8 (0, 1/3), 0.7 (1/4, 1/3), 0.6 (2/4, 1/3), 0.5 (2/4, 2/3),
    # 0.4 (3/4, 2/3), 0.3 (4/4, 2/3), 0.2 (4/4, 3/3).
    assert result.n_films == 4 and result.n_lesions == 3 and result.excluded_films == []
    np.testing.assert_allclose(result.curve["fp_per_film"],
                               [0, 0, 0, 0.25, 0.5, 0.5, 0.75, 1, 1])
    np.testing.assert_allclose(result.curve["sensitivity"],
                               [0, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 1])
    # Step rule: the best sensitivity with at most r false positives per film;
    # beyond the curve's end (1 FP per film) its last sensitivity.
    np.testing.assert_allclose(result.sensitivity.to_numpy(), [1 / 3, 2 / 3, 1, 1, 1])
    assert result.mean == pytest.approx(0.8)
    # Between two points the step rule reads the lower one: 0.74 FP/film -> 2/3, not more.
    assert froc(_scan(["A", "B", "C", "D"], CANDIDATES), FRAME,
                rates=[0.74]).sensitivity.iloc[0] == pytest.approx(2 / 3)


def test_froc_counts_the_lesions_a_window_centre_can_reach():
    def grid(x, y, inside):
        return FilmGrid(probabilities=np.zeros((len(y), len(x), 3), np.float32),
                        x=np.asarray(x, float), y=np.asarray(y, float), side=64.0,
                        inside=np.asarray(inside, bool), shape=(400, 400))

    scan = _scan(["A", "B", "C", "D"], CANDIDATES)
    assert froc(scan, FRAME).n_reachable is None  # no grids: not known
    # A: centres on both lesions, but the one on (300, 300) is outside the breast;
    # B: no centre within its lesion's 10 pixels; C, D: no lesions
    grids = [grid([100, 300], [100, 300], [[True, True], [True, False]]),
             grid([200], [200], [[True]]), grid([0], [0], [[True]]), grid([0], [0], [[True]])]
    result = froc(dataclasses.replace(scan, grids=grids), FRAME)
    assert result.n_reachable == 1 and result.n_lesions == 3


def test_froc_leaves_out_films_with_a_lesion_it_cannot_locate():
    frame = pd.concat([FRAME, pd.DataFrame({"film": ["E"], "x": [10.0], "y": [10.0],
                                            "radius": [NAN], "target": [2]})])
    cands = CANDIDATES + [("E", 10, 10, 0.95)]
    result = froc(_scan(["A", "B", "C", "D", "E"], cands), frame)
    assert result.excluded_films == ["E"] and result.n_films == 4 and result.n_lesions == 3
    assert result.mean == pytest.approx(0.8)        # E's candidate is neither hit nor FP


def test_froc_refuses_candidates_of_films_not_in_the_frame():
    with pytest.raises(ValueError, match="does not annotate"):
        froc(_scan(["A", "B", "C", "D"], CANDIDATES + [("Z", 1, 1, 0.5)]), FRAME)
    with pytest.raises(ValueError, match="does not annotate"):
        film_roc_auc(_scan(["A", "Z"], []), FRAME)
    # one id for two scanned films: their candidates and lesions could not be told apart
    for judge in (froc, film_roc_auc):
        with pytest.raises(ValueError, match=r"film id\(s\) \['A'\] more than once"):
            judge(_scan(["A", "B", "A"], CANDIDATES), FRAME)


def test_film_roc_auc_equals_sklearn_on_film_labels():
    rng = np.random.default_rng(0)
    n = 30
    films = [f"f{i}" for i in range(n)]
    labels = rng.integers(0, 3, n)
    rows = []
    for f, label in zip(films, labels):        # abnormal films get one or two lesion rows
        targets = [0] if label == 0 else [1, label][: 1 + rng.integers(0, 2)]
        rows += [{"film": f, "x": 1.0, "y": 1.0, "radius": 1.0, "target": t} for t in targets]
    frame = pd.DataFrame(rows)
    truth = film_targets(frame).reindex(films).to_numpy()
    scores = rng.uniform(size=(n, 3))
    result = film_roc_auc(_scan(films, [], scores), frame)
    assert result["abnormal_roc_auc"] == pytest.approx(roc_auc_score(truth > 0, 1 - scores[:, 0]))
    assert result["malignant_roc_auc"] == pytest.approx(roc_auc_score(truth == 2, scores[:, 2]))
    # A scan without a malignant class (the baseline) ranks malignant films by abnormality.
    two = film_roc_auc(_scan(films, [], scores[:, :2], classes=("normal", "abnormal")), frame)
    assert two["malignant_roc_auc"] == pytest.approx(roc_auc_score(truth == 2, 1 - scores[:, 0]))


def test_a_scan_records_its_candidate_rule_and_the_report_states_it(tmp_path):
    from skmammo.reporting import ScanReport
    from skmammo.scan._disk import _pack, _unpack

    films = make_synthetic_mammograms(4, image_size=128, random_state=0)
    default = baseline_scan(films.frame, size=32, stride=8)
    wide = baseline_scan(films.frame, size=32, stride=8, min_distance=40, min_score=0.2)
    assert (default.min_distance, default.min_score) == (None, 0.0)
    assert (wide.min_distance, wide.min_score) == (40.0, 0.2)
    assert (wide.candidates["score"] >= 0.2).all()
    for _, cands in wide.candidates.groupby("film"):
        xy = cands[["x", "y"]].to_numpy()
        gaps = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))[np.triu_indices(len(xy), 1)]
        assert (gaps >= 40).all()
    with pytest.raises(ValueError, match="min_distance 40.0 / None"):
        FilmScan.concat([default, wide])
    html = " ".join(ScanReport(wide, films.frame).files(pdf=False)["report.html"].split())
    assert "at least 40 film pixels apart and of abnormality at least 0.2;" in html
    # the rule survives the trip through scan_to_disk's chunk files
    np.savez(tmp_path / "chunk.npz", **_pack(wide))
    with np.load(tmp_path / "chunk.npz") as data:
        back = _unpack(data)
    assert (back.min_distance, back.min_score) == (40.0, 0.2)
    assert "at least half a window apart;" in ScanReport(default, films.frame).files(
        pdf=False)["report.html"]


def test_baseline_scanner_finds_bright_synthetic_lesions():
    films = make_synthetic_mammograms(40, image_size=256, random_state=0)
    result = baseline_scan(films.frame, size=32, stride=4)
    assert isinstance(result, FilmScan) and list(result.classes) == ["normal", "abnormal"]
    assert result.scores.shape == (40, 2) and len(result.grids) == 40
    assert result.maps[0].shape == (256, 256, 2)
    aucs = film_roc_auc(result, films.frame)
    assert aucs["abnormal_roc_auc"] > 0.7            # chance is 0.5 (measured 0.77)
    # Chance FROC: a random score on the same windows and candidates.
    shuffled = result.candidates.assign(score=np.random.default_rng(0).permutation(
        result.candidates["score"].to_numpy()))
    chance = froc(_scan(result.films, shuffled[["film", "x", "y", "score"]]), films.frame)
    assert froc(result, films.frame).mean > chance.mean + 0.1


@pytest.mark.slow
def test_film_evaluation_fold_by_fold_on_a_tiny_synthetic_run():
    from skmammo.pipeline import make_pipeline

    films = make_synthetic_mammograms(24, image_size=128, random_state=0)
    pipe = make_pipeline(size=32, epochs=1, validation_fraction=0, random_state=0)
    runs = repeated_evaluation(pipe, films.frame, films.target, groups=films.groups,
                               protocol="grouped", n_runs=1, n_splits=2,
                               return_estimators=True, random_state=0)
    result = film_evaluation(runs, films.frame, films.target, scan_params={"stride": 8})
    for side in (result.learned, result.baseline):
        assert len(side.runs) == 2 and side.runs["n_test"].sum() == 24
        assert {"abnormal_roc_auc", "malignant_roc_auc", "froc_mean",
                "sensitivity_0.25"} <= set(side.runs.columns)
        assert side.runs["froc_mean"].between(0, 1).all()
        assert side.summary.loc["froc_mean", "n"] == 2
    assert result.paired.index.tolist() == ["baseline scanner"] * 3
    row = result.paired.set_index("metric").loc["froc_mean"]
    assert row["reference"] == pytest.approx(result.learned.runs["froc_mean"].mean())
    assert row["other"] == pytest.approx(result.baseline.runs["froc_mean"].mean())
    assert row["n"] == 2
    assert set(result.curves["scanner"]) == {"learned", "baseline"}
    with pytest.raises(ValueError, match="return_estimators"):
        runs.estimators = None
        film_evaluation(runs, films.frame, films.target)


@pytest.mark.slow
def test_reproduce_films_section_writes_the_tables(tmp_path):
    import importlib.util
    import sys
    from argparse import Namespace
    from pathlib import Path

    from skmammo.pipeline import make_pipeline

    path = Path(__file__).resolve().parents[1] / "examples" / "reproduce_study.py"
    spec = importlib.util.spec_from_file_location("reproduce_study_films", path)
    example = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = example
    spec.loader.exec_module(example)
    films = make_synthetic_mammograms(24, image_size=128, random_state=0)
    args = Namespace(folds=2, repeats=1, seed=0, part="films", checkpoints=None)
    pipe = make_pipeline(size=32, epochs=1, validation_fraction=0, augment=False,
                         balance=None, random_state=0)
    runs = repeated_evaluation(pipe, films.frame, films.target, groups=films.groups,
                               protocol="grouped", n_runs=1, n_splits=2, random_state=0,
                               return_estimators=True)
    text, record = example.films_section(runs, films.frame, films.target, films.groups, args,
                                         tmp_path)
    assert "| froc_mean |" in text and "| sensitivity_4 |" in text
    assert "| baseline scanner |" in text          # the paired row
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert sorted(runs["scanner"].unique()) == ["baseline", "learned"] and len(runs) == 4
    assert {r["metric"] for r in record["paired"]} == {"abnormal_roc_auc", "malignant_roc_auc",
                                                        "froc_mean"}


@pytest.mark.parametrize("module", [
    "skmammo.evaluation._froc", "skmammo.scan._baseline",
    pytest.param("skmammo.evaluation._films", marks=pytest.mark.slow)])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
