"""The summary report's sections on trust: calibration, prediction sets and the model card.

- ``calibration``: does a predicted 0.9 mean 90% on the test set; with a
  :class:`~skmammo.evaluation.CalibratedEvaluation` the model's own
  probabilities beside the recalibrated ones, and over the repeated folds
  with intervals and a paired test;
- ``coverage``: how often the prediction sets hold the true class, per class,
  against the band of valid conformal sets;
- ``model_card``: what the model is for and not for, what it was trained and
  tested on, its headline numbers beside the baselines, and its known limits.
"""

from __future__ import annotations

import math

import pandas as pd

from skmammo.reporting._common import (
    calibration_text,
    interval,
    label,
    model_params,
    pretty,
    table,
)
from skmammo.reporting._figures_trust import reliability_figure, sanity_figure
from skmammo.reporting._templates import _num

__all__ = ["calibration_section", "coverage_section", "model_card_section", "sanity_section"]

_CAL_ROWS = ("ece", "brier", "log_loss")
_CAL_NAMES = {"ece": "expected calibration error (top label)", "brier": "Brier score (0 to 2)",
              "log_loss": "log loss"}


def _calibration_rows(names: list[str]) -> list[tuple[str, str]]:
    rows = [("ece", _CAL_NAMES["ece"])]
    rows += [(f"ece_{n}", f"expected calibration error, {n}") for n in names]
    return rows + [("brier", _CAL_NAMES["brier"]), ("log_loss", _CAL_NAMES["log_loss"])]


def calibration_section(b) -> dict | None:
    """The test set's calibration scores and reliability diagram(s); over the folds with intervals."""
    from skmammo.evaluation import CALIBRATION_BINS, reliability_table

    ev = b.evaluation
    scores = getattr(ev, "calibration", None)
    if not scores:
        return None
    rows = [(key, name) for key, name in _calibration_rows(b.target_names) if key in scores]
    c = b.calibration
    if c is None:
        df = pd.DataFrame({"value": [scores[k] for k, _ in rows]}, index=[n for _, n in rows])
        uris = [reliability_figure(reliability_table(ev.y_true, ev.y_proba))]
    else:
        raw = c.raw.calibration
        df = pd.DataFrame({"model's own": [raw[k] for k, _ in rows],
                           "recalibrated": [scores[k] for k, _ in rows]},
                          index=[n for _, n in rows])
        uris = [reliability_figure(reliability_table(c.raw.y_true, c.raw.y_proba),
                                           title="Model's own probabilities"),
                reliability_figure(reliability_table(ev.y_true, ev.y_proba),
                                           title="Recalibrated")]
    out = {"table": table(df, index_name="score"), "uris": uris, "bins": CALIBRATION_BINS,
           "n": len(ev.y_true), "recalibrated": c is not None, "folds_table": None}
    if c is not None:
        out.update(calibration_text(c.calibration, b.target_names))
        out["improved"] = scores["ece"] < raw["ece"]
    rep = b.repeated
    if rep is not None and "raw" in getattr(rep, "variants", {}) and "ece" in rep.summary.index:
        from skmammo.evaluation import paired_comparison

        fold_rows = {}
        for key in _CAL_ROWS:
            own, cal = rep.variants["raw"].summary.loc[key], rep.summary.loc[key]
            p = paired_comparison(rep, rep.variants["raw"], key)
            fold_rows[_CAL_NAMES[key]] = {
                "model's own": own["mean"], "recalibrated": cal["mean"],
                "recalibrated 95% interval": interval(cal["ci_low"], cal["ci_high"],
                                                      (0.0, math.inf)),
                "difference": p.difference, "p (paired)": p.p_value}
        out["folds_table"] = table(pd.DataFrame.from_dict(fold_rows, orient="index"),
                                   index_name="score")
        out["n_trainings"] = len(rep.runs)
    return out


def coverage_section(b) -> dict | None:
    """Coverage and size of the prediction sets per class, on the test set and over the folds."""
    c = b.calibration
    if c is None:
        return None
    level = float(c.calibration["confidence"])
    t = c.set_table.copy()
    from skmammo.evaluation import conformal_coverage_band

    # the classes' calibration rows (in class order) against their test rows
    calibrated = list(c.calibration["counts"].values())
    low, expected, high = conformal_coverage_band(
        level, [(n, int(t.loc[name, "n"])) for n, name in zip(calibrated, b.target_names)])
    t["n"] = t["n"].astype(int)
    t.columns = ["rows", "coverage", "mean set size", "one class", "empty"]
    out = {**calibration_text(c.calibration, b.target_names),
           "table": table(t, index_name="true class"),
           "band": f"{_num(low, 3)} and {_num(high, 3)}", "expected": _num(expected, 3),
           "n": int(t.loc["all", "rows"]),
           "inside": bool(low <= t.loc["all", "coverage"] <= high), "folds_table": None}
    rep = b.repeated
    if rep is not None and "coverage" in rep.summary.index:
        s = rep.summary
        rows = {}
        for name in ("all", *b.target_names):
            suffix = "" if name == "all" else f"_{name}"
            cov, size = s.loc[f"coverage{suffix}"], s.loc[f"set_size{suffix}"]
            rows[name] = {"coverage": cov["mean"], "95% interval": interval(cov["ci_low"], cov["ci_high"]),
                          "mean set size": size["mean"],
                          "set size 95% interval": interval(size["ci_low"], size["ci_high"],
                                                            (0.0, float(len(b.target_names))))}
        out["folds_table"] = table(pd.DataFrame.from_dict(rows, orient="index"),
                                   index_name="true class")
        out["n_trainings"] = len(rep.runs)
    return out


def _headline(b) -> list[tuple[str, str]]:
    """The headline numbers: test set, folds with intervals, baselines and the best shortcut probe."""
    ev, rep = b.evaluation, b.repeated
    rows = []
    last = b.target_names[-1]
    for key in ("balanced_accuracy", "macro_roc_auc", f"recall_{last}", "ece"):
        if key.startswith("recall_"):
            # no test rows of the class: a recall of 0 would read as "misses every case"
            absent = ev.table.loc[last].get("support", 1) == 0
            test = None if absent else float(ev.table.loc[last, "recall"])
        else:
            absent, test = False, ev.scores.get(key, ev.calibration.get(key))
        text = (f"test set – (no {last} rows)" if absent else
                f"test set {_num(test, 3)}" if test is not None else "")
        if rep is not None and key in rep.summary.index:
            m = rep.summary.loc[key]
            text += (f"; folds {_num(m['mean'], 3)} "
                     f"[{interval(m['ci_low'], m['ci_high'], (0.0, math.inf)).strip('[]')}]")
        rows.append((_CAL_NAMES.get(key, pretty(key)), text or "–"))
    base = ev.baseline.get("balanced_accuracy")
    if base is not None:
        rows.append(("majority baseline, balanced accuracy", f"test set {_num(base, 3)}"))
    probes = (b.shortcuts or {}).get("test")
    if probes is not None and len(probes):
        best = probes["balanced_accuracy"].idxmax()
        rows.append(("best shortcut probe (crop geometry alone)",
                     f"{best}: balanced accuracy {_num(probes.loc[best, 'balanced_accuracy'], 3)}"))
    return rows


def model_card_section(b) -> dict:
    """Intended use, model, data, protocol, headline numbers and known limitations."""
    name, _ = model_params(b.model)
    n_test = len(b.evaluation.y_true)
    splits = b.splits or {}
    n_train = len(splits["train"]) if "train" in splits else None
    protocol = b.params.get("protocol")
    rep = b.repeated
    c = b.calibration
    held = c.calibration["rows"] if c is not None else 0
    trained = ("" if n_train is None else f", trained on {n_train}" if not held
               else f", trained on {n_train - held} and calibrated on {held}")
    evaluation = [f"Test set of {n_test} rows" + trained
                  + ("; patients never on both sides" if protocol == "grouped" else
                     "; the study's split by film (a woman's films may sit on both sides)"
                     if protocol == "study" else "") + "."]
    if rep is not None:
        n_runs, n_folds = int(rep.runs["run"].nunique()), int(rep.runs["fold"].nunique())
        evaluation.append(
            f"Repeated: {len(rep.runs)} trainings ({n_runs} x {n_folds} folds, "
            f"{'patient-grouped' if rep.protocol == 'grouped' else 'the study protocol'}); "
            "95% intervals" + (" (Nadeau-Bengio corrected)" if rep.protocol == "grouped" else "")
            + ".")
    limits = [
        (f"Small test set ({n_test} rows): single-split numbers move by several points from one "
        "split to the next; read the intervals."),
        ("Trained and tested on one data set, one kind of acquisition: nothing here says how it "
        "does on films of another scanner, site or population."),
        ("Explanation maps show what the model used, not where a lesion is; check them against "
        "the sanity checks and baselines before reading them as localisation."),
    ]
    if c is not None:
        d = c.calibration
        limits.append(f"Probabilities recalibrated, and prediction sets fitted, on "
                      f"{d['rows']} held-out rows: coverage is guaranteed only for cases "
                      "exchangeable with those rows.")
        if d["too_few"]:
            limits.append("Too few calibration rows of "
                          + ", ".join(calibration_text(d, b.target_names)["fallback"].split(", "))
                          + " for the level: their label is in every prediction set.")
    blocks = [p.strip() for p in (b.data_description or "").strip().split("\n\n") if p.strip()]
    if blocks and set(blocks[0].splitlines()[-1]) <= set("-=~"):  # a title, underlined
        blocks = blocks[1:]
    return {
        "model_name": name or "(not given)",
        "dataset": b.dataset,
        "dataset_classes": ", ".join(b.target_names[:-1]) + " or " + b.target_names[-1],
        "description": " ".join(blocks[0].split()) if blocks else "",
        "n_train": n_train,
        "n_test": n_test,
        "evaluation": evaluation,
        "headline": _headline(b),
        "limits": limits,
        "calibrated": c is not None,
        **(calibration_text(c.calibration, b.target_names) if c is not None else {}),
    }


def sanity_section(b) -> dict | None:
    """The cascading model-parameter randomisation test of each method: figure and verdicts."""
    if not b.sanity:
        return None
    rows, tables, threshold = {}, {}, None
    for method, check in b.sanity.items():
        t = check.to_frame()
        tables[label(method)] = t
        threshold = check.threshold
        last = t.iloc[-1]
        rows[label(method)] = {"rank correlation, all random": last["spearman"],
                               "SSIM, all random": last["ssim"],
                               "verdict": "passes" if check.passed else "fails"}
    n = {int(c.to_frame()["n_images"].iloc[-1]) for c in b.sanity.values()
         if "n_images" in c.to_frame()}
    return {"table": table(pd.DataFrame.from_dict(rows, orient="index"), index_name="method"),
            "uri": sanity_figure(tables, threshold=threshold),
            "threshold": _num(threshold, 2), "n": n.pop() if len(n) == 1 else None,
            "failed": [name for name, r in rows.items() if r["verdict"] == "fails"]}
