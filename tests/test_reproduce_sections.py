"""The reproduction script's shared network section, on tiny synthetic films (fast).

``--part contrast`` and ``--part tasks`` both build their sections with
``network_section``: the network, its shortcut probes on the same folds and
the paired table.  Here it runs with a one-epoch network on 36 synthetic
films, checkpointed, and a rerun resumes without training.
"""

from __future__ import annotations

import importlib.util
import sys
from argparse import Namespace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmammo.datasets import make_synthetic_mammograms
from skmammo.pipeline import make_pipeline

FAST = dict(epochs=1, augment=False, balance=None, validation_fraction=0, size=64,
            random_state=0)


@pytest.fixture(scope="module")
def example():
    path = Path(__file__).resolve().parents[1] / "examples" / "reproduce_study.py"
    spec = importlib.util.spec_from_file_location("reproduce_study_sections", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_network_section_tables_and_checkpoints(example, tmp_path):
    b = make_synthetic_mammograms(36, image_size=128, random_state=0)
    keep = np.flatnonzero(np.asarray(b.target) > 0)  # the benign-vs-malignant task
    X, y, groups = b.frame.iloc[keep], np.asarray(b.target)[keep] - 1, np.asarray(b.groups)[keep]
    args = Namespace(folds=2, repeats=1, seed=0, part="tasks", checkpoints=tmp_path / "ck")
    names = ["benign", "malignant"]
    section, record = example.network_section(
        make_pipeline(**FAST), X, y, groups, args, tmp_path, "task0", "**benign vs malignant**",
        target_names=names)
    text = "\n\n".join(section)
    assert text.startswith("**benign vs malignant**, 2 trainings")
    assert "| recall_malignant |" in text and "| side / tree |" in text
    assert "| majority baseline |" in text
    runs = pd.read_csv(tmp_path / "runs_task0.csv")
    assert len(runs) == 2 and runs["n_test"].sum() == len(y)
    assert len(list((tmp_path / "ck" / "tasks" / "task0").glob("training_*.npz"))) == 2
    assert {r["metric"] for r in record["summary"]} >= {"balanced_accuracy", "macro_roc_auc"}

    example.FIT_SECONDS.clear()
    again, _ = example.network_section(
        make_pipeline(**FAST), X, y, groups, args, tmp_path, "task0", "**benign vs malignant**",
        target_names=names)
    assert again == section  # restored from the checkpoints, not retrained
    assert example.FIT_SECONDS == [pytest.approx(runs["fit_seconds"].sum())]


def test_checkpointed_networks_come_back_fitted(tmp_path):
    from skmammo.evaluation import repeated_evaluation

    b = make_synthetic_mammograms(30, image_size=128, random_state=1)
    X, y, groups = b.frame, np.asarray(b.target), np.asarray(b.groups)
    kwargs = dict(groups=groups, protocol="grouped", n_runs=1, n_splits=2, random_state=0,
                  return_estimators=True, checkpoint_dir=tmp_path)
    first = repeated_evaluation(make_pipeline(**FAST), X, y, **kwargs)
    again = repeated_evaluation(make_pipeline(**FAST), X, y, **kwargs)
    pd.testing.assert_frame_equal(again.runs, first.runs)
    for a, b_ in zip(first.estimators, again.estimators):
        np.testing.assert_allclose(b_.predict_proba(X.iloc[:4]), a.predict_proba(X.iloc[:4]),
                                   atol=1e-6)


def test_calibration_section_tables_and_checkpoints(example, tmp_path):
    from skmammo.evaluation import HeldOutCalibration

    b = make_synthetic_mammograms(60, image_size=128, random_state=1)
    X, y, groups = b.frame, np.asarray(b.target), np.asarray(b.groups)
    args = Namespace(folds=2, repeats=1, seed=0, part="calibration", crop="window",
                     checkpoints=tmp_path / "ck")
    model = HeldOutCalibration(make_pipeline(**FAST), calibration_fraction=0.4, random_state=0)
    with pytest.warns(UserWarning, match="calibration rows per class"):  # few rows: fallback
        section, record = example.calibration_section(model, X, y, groups, args, tmp_path)
    text = "\n\n".join(section)
    assert "| ece_malignant |" in text and "| log_loss |" in text
    assert "| all |" in text and "mean set size" in text
    assert "balanced accuracy " + example.mean_interval(
        pd.DataFrame(record["summary"]).set_index("metric"), "balanced_accuracy") in text
    calibrated = pd.read_csv(tmp_path / "runs_calibrated.csv")
    raw = pd.read_csv(tmp_path / "runs_raw.csv")
    assert len(calibrated) == 2 and (calibrated["accuracy"] == raw["accuracy"]).all()
    pooled = (calibrated["coverage"] * calibrated["n_test"]).sum() / calibrated["n_test"].sum()
    assert record["pooled_coverage"] == [pytest.approx(pooled)]
    assert f"{pooled:.3f}" in text
    from skmammo.evaluation import conformal_coverage_band

    # per fold and class: (calibration rows, test rows); every row tested once
    pairs = record["band_counts"]
    assert len(pairs) == 2 * 3 and sum(m for _, m in pairs) == len(y)
    low, expected, high = conformal_coverage_band(0.9, pairs)
    assert record["band"] == [pytest.approx(low), pytest.approx(high)]
    assert f"between {low:.3f} and {high:.3f}" in text and f"{expected:.3f}" in text
    assert "Trainings with the full-set fallback (a class with fewer than 10 calibration " \
           "rows): 2 of 2" in text
    assert len(list((tmp_path / "ck" / "calibration" / "calibrated").glob("*.npz"))) == 2


def test_explanations_section_tables(example, tmp_path):
    from skmammo.evaluation import repeated_evaluation

    b = make_synthetic_mammograms(36, image_size=128, random_state=2)
    X, y, groups = b.frame, np.asarray(b.target), np.asarray(b.groups)
    result = repeated_evaluation(make_pipeline(**FAST), X, y, groups=groups, protocol="grouped",
                                 n_runs=1, n_splits=2, random_state=0, return_estimators=True)
    args = Namespace(folds=2, repeats=1, seed=0, checkpoints=None)
    section, record = example.explanations_section(result, X, y, args, tmp_path,
                                                   methods=("gradcam", "hirescam"))
    text = "\n\n".join(section)
    per = pd.read_csv(tmp_path / "explainers_per_image.csv")
    lesions = int(((y > 0) & np.isfinite(X["radius"].to_numpy(float))).sum())
    assert (per["method"] == "hirescam").sum() == lesions  # every held-out lesion, once
    assert "| hirescam vs centre_prior |" in text and "exact McNemar" in text
    assert "| random_map |" in text
    sanity = pd.read_csv(tmp_path / "sanity.csv")
    assert len(sanity) == 4 and set(sanity["method"]) == {"gradcam", "hirescam"}
    layers = pd.read_csv(tmp_path / "sanity_layers.csv")  # the figure's curves, every layer
    assert len(layers) == 2 * 2 * layers["n_randomized"].max()
    assert record["figures"] == [tmp_path / "explanations_sanity.png"]
    assert record["figures"][0].read_bytes()[:4] == b"\x89PNG"
    assert "](explanations_sanity.png)" in text
    assert {r["metric"] for r in record["paired"]} == {"pointing_game", "rank_accuracy"}
    # the intervals over trainings are the corrected resampled t the caption names
    from scipy.stats import t

    every = pd.read_csv(tmp_path / "explainers_per_training.csv", index_col=0)
    seconds = every.loc["hirescam", "seconds_per_image"].to_numpy(float)
    ratio = (result.runs["n_test"] / result.runs["n_train"]).mean()
    high = seconds.mean() + t.ppf(0.975, 1) * seconds.std(ddof=1) * np.sqrt(1 / 2 + ratio)
    row = next(line for line in text.splitlines() if line.startswith("| hirescam |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    header = next(line for line in text.splitlines() if line.startswith("| method |"))
    column = [c.strip() for c in header.strip("|").split("|")].index("seconds_per_image")
    assert cells[column].endswith(f", {high:.3f}]"), (cells[column], high)
    assert "corrected resampled t" in text


@pytest.mark.slow
def test_films_and_explanations_parts_restore_the_calibration_trainings(example, tmp_path,
                                                                        monkeypatch):
    import warnings

    films = make_synthetic_mammograms(90, image_size=128, random_state=3)
    monkeypatch.setattr(example, "_lesion_data", lambda args: films)
    monkeypatch.setattr(example, "_cnn_params", lambda args: dict(FAST))
    common = ["--folds", "2", "--repeats", "1", "--out", str(tmp_path / "out"),
              "--docs", str(tmp_path / "docs"), "--checkpoints", str(tmp_path / "ck")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few calibration rows per class: the visible fallback
        assert example.main(["--part", "calibration", *common]) == 0
    stored = sorted((tmp_path / "ck" / "calibration" / "calibrated").glob("training_*"))
    assert len(stored) == 4  # two trainings, each an .npz and a .joblib
    written = {p: p.stat().st_mtime_ns for p in stored}

    assert example.main(["--part", "films", "--trainings", "calibration", *common]) == 0
    text = (tmp_path / "docs" / "films.md").read_text()
    assert "the trainings of `--part calibration`" in text and "| froc_mean |" in text
    assert example.main(["--part", "explanations", "--trainings", "calibration",
                         "--methods", "gradcam,occlusion", *common]) == 0
    text = (tmp_path / "docs" / "explanations.md").read_text()
    assert "| occlusion |" in text and "| occlusion vs gradcam |" in text
    assert (tmp_path / "docs" / "explanations_sanity.png").is_file()  # the figure it links

    # both parts restored the calibration part's networks: nothing trained or stored again
    assert {p: p.stat().st_mtime_ns for p in stored} == written
    assert sorted((tmp_path / "ck").iterdir()) == [tmp_path / "ck" / "calibration",
                                                   tmp_path / "ck" / "explanations"]
    # the explanations part kept each training's tables: a rerun restores them (LIME and
    # SHAP on every lesion outlast a session) and writes the same tables
    explained = sorted((tmp_path / "ck" / "explanations").glob("calibration-*/training_*.pkl"))
    assert [p.name for p in explained] == ["training_0000.pkl", "training_0001.pkl"]
    kept = {p: p.stat().st_mtime_ns for p in explained}
    first = pd.read_csv(tmp_path / "out" / "explanations" / "explainers_per_image.csv")
    explained[1].unlink()  # as if the first run had stopped after one training
    assert example.main(["--part", "explanations", "--trainings", "calibration",
                         "--methods", "gradcam,occlusion", *common]) == 0
    assert explained[0].stat().st_mtime_ns == kept[explained[0]] and explained[1].is_file()
    again = pd.read_csv(tmp_path / "out" / "explanations" / "explainers_per_image.csv")
    pd.testing.assert_frame_equal(again, first)
