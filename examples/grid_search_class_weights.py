"""Tune the CNN's class weights (and epochs) on mini-MIAS with GridSearchCV.

The study picked its class weights on one validation split.  Here the whole
pipeline (Denoiser -> CLAHE -> ROICropper -> MammoCNNClassifier) is tuned by
cross-validation whose folds keep both films of a patient together
(``StratifiedGroupKFold`` with ``groups=`` patient ids) and keep the class
proportions; every candidate is scored by balanced accuracy, one-vs-rest ROC
AUC and log loss.  The preprocessing is cached (``memory=``), so only the
network is retrained per candidate.

Run (the full grid trains 3 x 2 x n_splits networks; ``--quick`` trains a few
tiny ones in minutes)::

    .venv/bin/python examples/grid_search_class_weights.py --quick
    .venv/bin/python examples/grid_search_class_weights.py --epochs 20 50 --n-splits 5

Research use only: nothing here is a diagnosis.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pandas as pd
from joblib import Memory
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

from skmammo.datasets import load_mias
from skmammo.pipeline import make_pipeline
from skmammo.study import STUDY_PIPELINE_PARAMS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARCHIVE = Path(os.environ.get(
    "SKMAMMO_MIAS_ARCHIVE", REPO.parent / "shared" / "data" / "mias" / "all-mias.tar.gz"))

logger = logging.getLogger("grid_search_class_weights")

#: No weights, the study's {0: 1, 1: 2, 2: 3}, and heavier ones.
CLASS_WEIGHTS = [None, dict(STUDY_PIPELINE_PARAMS["class_weight"]), {0: 2, 1: 3, 2: 4}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE,
                        help="all-mias.tar.gz or its extracted folder")
    parser.add_argument("--epochs", type=int, nargs="+", default=[30, 50],
                        help="values of cnn__epochs to try (early stopping still applies)")
    parser.add_argument("--n-splits", type=int, default=5)
    parser.add_argument("--size", type=int, default=224, help="crop side in pixels")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 64x64 crops, 2 epochs, 3 folds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.size, args.epochs, args.n_splits = 64, [2], 3
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(logging.INFO)

    films = load_mias(args.archive, unit="film", verbose=0)
    X, y, groups = films.frame, np.asarray(films.target), np.asarray(films.groups)
    logger.info("%d films of %d patients, classes %s", len(y), len(np.unique(groups)),
                 np.bincount(y).tolist())

    logger.info("grid: %d class weights x %d epoch values x %d folds", len(CLASS_WEIGHTS),
                len(args.epochs), args.n_splits)
    with tempfile.TemporaryDirectory() as cache:
        pipe = make_pipeline(size=args.size, random_state=args.seed,
                             memory=Memory(cache, verbose=0))
        search = GridSearchCV(
            pipe,
            {"cnn__class_weight": CLASS_WEIGHTS, "cnn__epochs": args.epochs},
            cv=StratifiedGroupKFold(n_splits=args.n_splits, shuffle=True,
                                    random_state=args.seed),
            scoring={"balanced_accuracy": "balanced_accuracy", "roc_auc_ovr": "roc_auc_ovr",
                     "neg_log_loss": "neg_log_loss"},
            refit="balanced_accuracy",
            error_score="raise",
        )
        search.fit(X, y, groups=groups)

    res = pd.DataFrame(search.cv_results_)
    table = pd.DataFrame({
        "class_weight": [str(p["cnn__class_weight"]) for p in res["params"]],
        "epochs": [p["cnn__epochs"] for p in res["params"]],
        "balanced_acc": res["mean_test_balanced_accuracy"].round(3),
        "+/-": res["std_test_balanced_accuracy"].round(3),
        "roc_auc_ovr": res["mean_test_roc_auc_ovr"].round(3),
        "log_loss": (-res["mean_test_neg_log_loss"]).round(3),
        "fit_s": res["mean_fit_time"].round(1),
    }).sort_values("balanced_acc", ascending=False)
    print(table.to_string(index=False))
    print(f"best: {search.best_params_} (balanced accuracy {search.best_score_:.3f}, "
          f"{args.n_splits} patient-grouped folds)")


if __name__ == "__main__":
    main()
