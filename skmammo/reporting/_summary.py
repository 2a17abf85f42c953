"""The sections of the summary report, in the order they are shown.

Each entry of :data:`SUMMARY_SECTIONS` is a :class:`~skmammo.reporting.Section`
whose ``context(builder)`` reads the :class:`~skmammo.reporting.ReportBuilder`
and returns the plain values its macro in
``reports/templates/_summary_sections.html`` shows, or ``None`` when its
input was not given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skmammo.explain.metrics import EDGE_FLAG, border_share
from skmammo.reporting import figures
from skmammo.reporting._card import (
    calibration_section,
    coverage_section,
    model_card_section,
    sanity_section,
)
from skmammo.reporting._case import case_label
from skmammo.reporting._common import (
    changed_params,
    count_range,
    heatmap,
    interval,
    label,
    pretty,
    short,
    table,
)
from skmammo.reporting._section import Section
from skmammo.reporting._templates import _num, _plural, _prob

__all__ = ["EXPLAINER_COLUMNS", "SUMMARY_SECTIONS"]

#: What the columns of :func:`skmammo.explain.metrics.compare_explainers` mean.
EXPLAINER_COLUMNS = {
    "seconds_per_image": "wall-clock seconds to explain one crop",
    "stability_spearman": "rank correlation of the maps of the same crop over seeds (1: identical)",
    "stability_iou": "overlap of the top 20% pixels of the maps over seeds (1: identical)",
    "pointing_game": "share of the crops with an annotated lesion whose map peaks inside it",
    "positive_share": "share of the positive evidence that falls inside the annotated lesion "
                      "(relevance mass accuracy; crops with an annotated lesion)",
    "rank_accuracy": "share of the lesion's pixels among the map's top-ranked pixels, as many "
                     "as the lesion has (relevance rank accuracy; crops with an annotated lesion)",
    "deletion_auc": "probability of the class as the most important pixels are removed (lower is more faithful)",
    "insertion_auc": "probability of the class as the most important pixels are restored (higher is more faithful)",
    "n_lesions": "crops with an annotated lesion: the pointing game and the positive share "
                 "average over these",
    "n_images": "crops explained",
}


def _data(b) -> dict:
    """Class counts per split (the test labels when no splits are given)."""
    splits = b.splits if b.splits is not None else {"test": b.evaluation.y_true}
    k = len(b.target_names)
    rows = {}
    for name, labels in splits.items():
        counts = np.bincount(np.asarray(labels, dtype=int), minlength=k)[:k]
        rows[str(name)] = [*counts.tolist(), int(counts.sum())]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=[*b.target_names, "total"])
    if len(df) > 1:
        df.loc["all"] = df.sum()
    return {"target_names": b.target_names, "class_counts": table(df, index_name="split")}


def _metrics(b) -> dict:
    """The model beside the majority baseline, and the per-class table."""
    ev = b.evaluation
    summary = ev.summary.copy()
    summary.index = [pretty(i) for i in summary.index]
    return {
        "summary_table": table(summary, index_name="metric"),
        "class_table": table(ev.table, index_name="class"),
        "baseline_class": b.target_names[getattr(ev, "baseline_class", 0)],
    }


def _confusion(b) -> dict:
    ev = b.evaluation
    return {"uri": figures.confusion_matrix_figure(
        ev.confusion, b.target_names, normalized=ev.confusion_normalized,
        title=f"Confusion matrix, test set of {len(ev.y_true)}",
    )}


def _roc(b) -> dict | None:
    proba = getattr(b.evaluation, "y_proba", None)
    if proba is None:
        return None
    return {"uri": figures.roc_figure(b.evaluation.y_true, proba, b.target_names)}


def _training(b) -> dict | None:
    """The training curves; the caption names exactly the quantities plotted."""
    if not b.history:
        return None
    names = figures.history_names(b.history)
    shown = [pretty(n) for n in names]
    what = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    validated = any(f"val_{n}" in b.history for n in names)
    return {
        "uri": figures.history_figure(b.history),
        "wide": len(names) > 1,
        "caption": f"{what[0].upper()}{what[1:]} per epoch"
                   + (", training against validation." if validated else ", training part."),
        "loss_only": names == ["loss"],
    }


def _repeated(b) -> dict | None:
    rep = b.repeated
    if rep is None:
        return None
    from skmammo.evaluation import SUMMARY_METRICS

    keys = [*SUMMARY_METRICS, *(f"{m}_{c}" for m in ("recall", "f1") for c in b.target_names),
            "baseline_accuracy", "baseline_balanced_accuracy", "baseline_macro_f1"]
    summary = rep.summary.loc[[k for k in keys if k in rep.summary.index], ["mean", "std", "ci_low", "ci_high"]]
    df = pd.DataFrame({  # every score lies in [0, 1]: so does its interval (clipped)
        "mean": summary["mean"], "std": summary["std"],
        "95% interval": [interval(lo, hi) for lo, hi in zip(summary["ci_low"], summary["ci_high"])],
    }, index=[pretty(i) for i in summary.index])
    runs = rep.runs
    n_runs, n_folds = int(runs["run"].nunique()), int(runs["fold"].nunique())
    total = int(round(float(np.sum(rep.confusion_mean))))
    unit = "repeat" if rep.protocol == "grouped" else "run"
    short_title = (f"Confusion matrix, 1 {unit}" if n_runs == 1
                   else f"Mean confusion matrix, {n_runs} {unit}s")
    if rep.protocol == "grouped":
        folds = f"{_plural(n_folds, 'fold')}, each of the {total} samples tested once"
        title = (f"Confusion matrix, {folds}" if n_runs == 1
                 else f"Mean confusion matrix over {n_runs} repeats ({folds} per repeat)")
    else:
        title = (f"Confusion matrix of the run, test set of {total}" if n_runs == 1
                 else f"Mean confusion matrix over {n_runs} runs, test set of {total}")
    return {
        "protocol": rep.protocol,
        "n_rows": len(runs),
        "n_runs": n_runs,
        "n_folds": n_folds,
        "n_test": count_range(runs["n_test"]),
        "table": table(df, index_name="metric"),
        "confusion_title": title,
        "confusion_mean": n_runs > 1,
        "confusion": figures.confusion_matrix_figure(rep.confusion_mean, b.target_names,
                                                     title=short_title),
    }


def _versus(row: dict, p) -> dict:
    """The paired-test columns of one row of the folds table."""
    row.update({"model − probe": p["difference"],
                "difference 95% interval": interval(p["ci_low"], p["ci_high"], (-1.0, 1.0)),
                "p": _prob(p["p_value"], 3)})
    return row


def _shortcuts(b) -> dict | None:
    """The shortcut probes beside the model: one split, the repeated folds, the paired test."""
    s = b.shortcuts
    if not s:
        return None
    k = len(b.target_names)
    out: dict = {"k": k, "chance": _num(1 / k, 3), "test_table": None, "folds_table": None}
    test = s.get("test")
    if test is not None:
        ev = b.evaluation
        df = pd.concat([pd.DataFrame([ev.scores, ev.baseline], index=["model", "majority baseline"]),
                        test])[["balanced_accuracy", "accuracy", "macro_f1"]]
        out["test_table"] = table(df, index_name="")
    folds, paired = s.get("repeated"), s.get("paired")
    if folds:
        rows = {}
        for name, res in folds.items():
            m = res.summary.loc["balanced_accuracy"]
            rows[name] = {"probe mean": m["mean"], "95% interval": interval(m["ci_low"], m["ci_high"])}
            if paired is not None and name in paired.index:
                _versus(rows[name], paired.loc[name])
        if paired is not None and "majority baseline" in paired.index:
            p = paired.loc["majority baseline"]
            rows["majority baseline"] = {"probe mean": p["other"], "95% interval": ""}
            rep = b.repeated
            if rep is not None and "baseline_balanced_accuracy" in rep.summary.index:
                m = rep.summary.loc["baseline_balanced_accuracy"]
                rows["majority baseline"]["95% interval"] = interval(m["ci_low"], m["ci_high"])
            _versus(rows["majority baseline"], p)
        out["folds_table"] = table(pd.DataFrame.from_dict(rows, orient="index"), index_name="")
        first = next(iter(folds.values()))
        out["n_runs"] = int(first.runs["run"].nunique())
        out["n_folds"] = int(first.runs["fold"].nunique())
        if paired is not None and len(paired):
            out["model_mean"] = _num(float(paired["reference"].iloc[0]), 3)
    return out


_STUDY_CAPTIONS = {
    "summary": "The study's scores and ours, both from the mean confusion matrix",
    "per_class": "Per class: the study's and ours (ROC AUC: the study's from one run, "
                 "ours the mean over runs)",
    "confusion": "Mean confusion matrices, rows true, columns predicted",
}


def _study(b) -> dict | None:
    """The study's Tables 1-3 beside ours, for a study-protocol repeated evaluation."""
    rep = b.repeated
    if rep is None or rep.protocol != "study" or len(b.target_names) != 3:
        return None
    # the one place reporting reads the study's own numbers
    from skmammo.study import compare_with_study

    tables = []
    for name, df in compare_with_study(rep).items():
        df = df.copy()
        df.columns = [" ".join(map(pretty, c)) if isinstance(c, tuple) else c for c in df.columns]
        df.index = [pretty(i) for i in df.index]
        tables.append((_STUDY_CAPTIONS[name], table(df, index_name="")))
    return {"tables": tables}


def _explainers(b) -> dict | None:
    df = b.explainer_table
    if df is None:
        return None
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"explainer_table must be a DataFrame, got {type(df).__name__}")
    if isinstance(df.index, pd.RangeIndex) and len(df.columns) and not pd.api.types.is_numeric_dtype(df.iloc[:, 0]):
        df = df.set_index(df.columns[0])  # e.g. a "method" column
    df = df.rename(index=lambda m: label(m) if isinstance(m, str) else m)
    subset = _lesion_subset(b, df)
    # counts the same for every method are said in the sentence above the notes, not a column
    same = [c for c in ("n_images", "n_lesions")
            if c in df.columns and df[c].dropna().nunique() <= 1 and subset is not None]
    df = df.drop(columns=same)
    out = {"table": table(df, index_name=df.index.name or "method")}
    out["notes"] = [(pretty(c), EXPLAINER_COLUMNS[c]) for c in df.columns if c in EXPLAINER_COLUMNS]
    out["subset"] = subset
    return out


def _lesion_subset(b, df: pd.DataFrame) -> str | None:
    """Which crops the pointing game and the positive share were computed on, in words."""
    if not {"pointing_game", "positive_share"} & set(df.columns):
        return None
    baselines = ("; the baseline rows are maps that ignore the image (a peak at the crop's "
                 "centre, uniform noise), scored on the same crops: a method must beat them"
                 if any("(baseline)" in str(i) for i in df.index) else "")
    n = {int(v) for v in df["n_images"].dropna()} if "n_images" in df.columns else set()
    lesions = {int(v) for v in df["n_lesions"].dropna()} if "n_lesions" in df.columns else set()
    if len(lesions) == 1 and len(n) == 1:
        return (f"Pointing game and positive share: over the "
                f"{_plural(lesions.pop(), 'explained crop')} with an annotated lesion (of "
                f"{n.pop()} explained; a normal crop has no lesion to point at); the other "
                f"columns over all of them{baselines}.")
    cases = b.cases
    if (cases is not None and {"x", "y", "radius"} <= set(cases.columns)
            and n in ({len(cases)}, set())):
        have = np.isfinite(cases[["x", "y", "radius"]].to_numpy(dtype=float)).all(axis=1)
        return (f"Pointing game and positive share: over the {_plural(int(have.sum()), 'explained crop')} "
                f"with an annotated lesion (of {len(cases)} explained; a normal crop has no lesion "
                f"to point at); the other columns over all of them{baselines}.")
    return ("Pointing game and positive share: over the explained crops with an annotated lesion "
            f"only (a normal crop has no lesion to point at){baselines}.")


def _gallery(b) -> dict | None:
    """Overlays grouped by predicted class, misclassified first (the study's Figure 9)."""
    if b.gallery is not None:  # an explanation of the whole test set
        e = b.gallery
        method = str(getattr(e, "method", b.gallery_method))
        crops = np.asarray(e.images)
        # the evaluation's predictions, so the gallery agrees with the metric tables
        ev = b.evaluation
        proba = np.asarray(ev.y_proba if getattr(ev, "y_proba", None) is not None else e.probabilities,
                           dtype=float)
        truth = np.asarray(ev.y_true)
        pred = np.asarray(ev.y_pred)
        # captions name each crop by its lesion when the workflow passed the labels (case_label)
        films = getattr(e, "case_labels", None)
        films = getattr(e, "films", None) if films is None else films
        films = [str(f) for f in films] if films is not None else [f"#{i}" for i in range(len(truth))]
        scope = f"the test set ({len(truth)} crops)"
    elif b.explanations:
        wanted = label(b.gallery_method)  # "grad-cam" finds the explanations of "gradcam"
        method = next((m for m in b.explanations if label(m) == wanted), next(iter(b.explanations)))
        e = b.explanations[method]
        crops, proba, truth = b._crops(), b._case_proba(), b.case_target
        pred = proba.argmax(axis=1)
        films = [case_label(r) for _, r in b.cases.iterrows()]
        scope = f"the {len(truth)} explained crops"
    else:
        return None
    from PIL import Image

    groups = []
    for c, cname in enumerate(b.target_names):
        idx = np.flatnonzero(pred == c)
        wrong = truth[idx] != c
        order = idx[np.lexsort((-proba[idx, c], ~wrong))]  # misclassified first, then by confidence
        items = []
        for i in order[: b.max_gallery]:
            h = heatmap(e, i, c)
            img = figures.overlay(crops[i], h, method)
            thumb = np.asarray(Image.fromarray(img).resize((128, 128), Image.Resampling.BILINEAR))
            items.append({
                "uri": figures.array_to_data_uri(thumb),
                "film": films[i],
                "true": b.target_names[int(truth[i])],
                "p": proba[i, c],
                "wrong": bool(truth[i] != c),
                # mostly on the crop border (all the mass, or its hottest 5%): flagged
                "edge": bool(max(border_share(h), border_share(h, top=0.05)) > EDGE_FLAG),
            })
        groups.append({"name": cname, "n": len(idx), "n_wrong": int(wrong.sum()),
                       "shown": len(items), "items": items})
    return {"method": label(method), "groups": groups, "scope": scope}


def _provenance(b) -> dict:
    """The model, its parameters, the run's parameters, software versions, the case files."""
    common = b._common()
    params = common["model_params"]
    changed = changed_params(b.model, params) if b.model is not None else []
    cases = []
    if b.cases is not None:
        for film, file in zip(b.cases["film"], b.case_files()):  # the files write() writes
            stem = file.rsplit(".", 1)[0]
            cases.append({"film": str(film), "name": stem.rsplit("/", 1)[-1], "html": f"{stem}.html",
                          "pdf": file if file.endswith(".pdf") else None})
    return {
        "model_name": common["model_name"],
        "model_params": params,
        "changed_params": changed,
        "n_default": len(params) - len(changed),
        "extra_params": [(str(k), short(v)) for k, v in b.params.items()],
        "versions": common["versions"],
        "cases": cases,
    }


#: The sections of the summary report, in order (see :class:`~skmammo.reporting.Section`).
SUMMARY_SECTIONS: list[Section] = [
    Section("data", _data),
    Section("metrics", _metrics),
    Section("confusion", _confusion, parent="metrics"),
    Section("roc", _roc, parent="metrics"),
    Section("calibration", calibration_section, parent="metrics"),
    Section("coverage", coverage_section, parent="metrics"),
    Section("training", _training),
    Section("repeated", _repeated),
    Section("study", _study, parent="repeated"),
    Section("shortcuts", _shortcuts),
    Section("explainers", _explainers),
    Section("sanity", sanity_section, parent="explainers"),
    Section("gallery", _gallery),
    Section("model_card", model_card_section, css_class="keep"),
    Section("provenance", _provenance),
]
