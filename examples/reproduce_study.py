"""Reproduce Balve & Hendrix (2024) on mini-MIAS, then evaluate it honestly.

Parts, each a separate run (``--part``):

``study``
    The study's protocol, exactly: one row per film (316 films), films
    shrunk to 224 pixels first (``make_pipeline(mode="study")``), the study's
    stratified 70/15/15 split with seed 44 (not grouped by patient), class
    weights {0: 1, 1: 2, 2: 3}, 10 trainings differing only in their seed,
    metrics from the mean confusion matrix.  Prints and writes the study's
    Tables 1-3 beside ours and the summary report (HTML, PDF, case reports,
    explainer table); the same as ``skmammo run --protocol study --runs 10``.
``honest``
    skmammo's defaults: one row per lesion plus the normal films, one
    label-free window per row (``make_pipeline()``, ``--crop window``),
    patient-grouped stratified 5-fold cross-validation repeated twice, 95%
    intervals clipped to [0, 1]; every fitted model also scored with
    test-time augmentation; the shortcut probes (crop geometry alone) on the
    same folds and crops, and paired corrected t-tests of the network
    against each probe and the majority baseline.  The models of the first
    fold then explain their test lesions with Grad-CAM, LIME and Kernel SHAP.
``contrast``
    The same folds with the crops that carry the label: ``mode="native"``
    and ``mode="study"`` (``--repeats`` repeats), each with its probes and
    paired tests.
``probes``
    The shortcut probes alone, no network: window, native and study crops,
    on the three tasks, on the same folds; a few minutes.
``tasks``
    Two binary tasks with the window pipeline: benign vs malignant (lesions
    only) and normal vs abnormal, with probes and paired tests.
``calibration``
    The default window pipeline wrapped in ``HeldOutCalibration``
    (temperature scaling and Mondrian conformal sets at ``--confidence``,
    fitted on 20% of each training part's patients) on the same folds: the
    network's own and the recalibrated calibration scores of the same
    models with a paired test, and the prediction sets' coverage and size
    per class against the band of valid conformal sets.
``explanations``
    The explainers (Grad-CAM, HiResCAM, LayerCAM, occlusion, LIME, Kernel
    SHAP; see ``--methods``) on every held-out lesion of every training of
    ``honest`` (or of ``calibration`` with ``--trainings calibration``; their
    checkpointed models with ``--checkpoints``), beside the centre-prior and
    random maps, with paired tests and the randomisation test of the CAMs.
    With ``--checkpoints`` each training's tables are kept too
    (``<checkpoints>/explanations/``), so a stopped run resumes: LIME and
    Kernel SHAP on every lesion take longer than a working session.
``films``
    Whole films: the honest part's trainings (or the calibration part's with
    ``--trainings calibration``; restored from ``--checkpoints`` when that
    part ran first), each fold's model
    scanning that fold's test films whole, against a non-learned
    Laplacian-of-Gaussian blob scanner on the same films and windows:
    normal-vs-abnormal and malignant-vs-rest film AUCs, FROC sensitivity at
    0.25-4 false positives per film and its mean, with intervals and paired
    tests over folds.
``tuned``
    As ``honest`` (one repeat), with the class weights chosen by
    ``GridSearchCV`` inside every training part (patient-grouped inner folds),
    so the choice never sees the test fold.

Each part writes ``<out>/<part>/`` and, with ``--docs``, the Markdown tables
``docs/results.md`` includes (``<docs>/<part>.md``), stamped with the command,
the machine, the versions and the time it took.  Nothing in those tables is
typed by hand::

    .venv/bin/python examples/reproduce_study.py --part study --docs docs/results
    .venv/bin/python examples/reproduce_study.py --part honest --docs docs/results

Research use only: nothing here is a diagnosis.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shlex
import shutil
import sys
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pandas as pd

from skmammo.datasets import load_mias
from skmammo.evaluation import repeated_evaluation
from skmammo.study import STUDY_PIPELINE_PARAMS, compare_with_study, study_split
from skmammo.utils import TARGET_NAMES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARCHIVE = Path(os.environ.get(
    "SKMAMMO_MIAS_ARCHIVE", REPO.parent / "shared" / "data" / "mias" / "all-mias.tar.gz"))

logger = logging.getLogger("reproduce_study")


# ----------------------------------------------------------------- markdown
def _cell(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(frame: pd.DataFrame, index_name: str = "", digits: int = 3) -> str:
    """A GitHub/MyST Markdown table of ``frame`` (``digits`` decimals)."""
    columns = [" / ".join(map(str, c)) if isinstance(c, tuple) else str(c)
               for c in frame.columns]
    lines = ["| " + " | ".join([index_name, *columns]) + " |",
             "|" + "---|" * (len(columns) + 1)]
    for label, row in zip(frame.index, frame.astype(object).itertuples(index=False)):
        lines.append("| " + " | ".join([str(label), *(_cell(v, digits) for v in row)]) + " |")
    return "\n".join(lines)


def mean_interval(summary: pd.DataFrame, metric: str) -> str:
    """``mean [ci_low, ci_high]`` of one row of a summary (``–`` when undefined)."""
    m = summary.loc[metric]
    if not np.isfinite(m["mean"]):
        return "–"
    return f"{m['mean']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]"


def interval_table(results: dict[str, object], metrics: list[str]) -> pd.DataFrame:
    """``mean [ci_low, ci_high]`` per metric (rows) and evaluation (columns)."""
    return pd.DataFrame({name: [mean_interval(res.summary, m) for m in metrics]
                         for name, res in results.items()}, index=metrics)


#: Fit seconds of every repeated evaluation of this invocation, checkpointed trainings included.
FIT_SECONDS: list[float] = []


def stamp(seconds: float, argv: list[str]) -> str:
    """Command, machine, versions and duration, for the generated Markdown."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    packages = ", ".join(f"{p} {version(p)}" for p in
                         ("skmammo", "tensorflow-cpu" if _has("tensorflow-cpu") else "tensorflow",
                          "keras", "scikit-learn", "scikeras", "shap", "lime"))
    command = "python examples/reproduce_study.py " + " ".join(shlex.quote(a) for a in argv)
    return (f"Command: `{command}`\n\n"
            f"Machine: {os.cpu_count()} CPU cores ({cpu}), Python {platform.python_version()}, "
            f"{platform.system()}; {packages}.\n\n"
            f"Finished {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC after "
            f"{seconds / 60:.1f} min{_fitting()}.")


def _fitting() -> str:
    """How long the networks' fits took, resumed (checkpointed) trainings included."""
    if not FIT_SECONDS:
        return ""
    return (f"; the trainings' fits took {sum(FIT_SECONDS) / 60:.1f} min in all (trainings "
            "restored from --checkpoints count with the time they took when they ran)")


def _has(package: str) -> bool:
    try:
        version(package)
        return True
    except Exception:
        return False


# -------------------------------------------------------------------- parts
def study_part(args, out: Path) -> tuple[str, dict]:
    from skmammo.workflow import run_study

    bunch = load_mias(args.mias, unit="film", verbose=0)
    logger.info("%d films %s", len(bunch.target), np.bincount(bunch.target).tolist())
    params = dict(STUDY_PIPELINE_PARAMS)  # resize-first crops, class weights {0: 1, 1: 2, 2: 3}
    if args.epochs:
        params["epochs"] = args.epochs
    result = run_study(
        bunch.frame, bunch.target, bunch.groups, out, dataset="mini-MIAS (the study's protocol)",
        pipeline_params=params, protocol="study", n_runs=args.runs, n_cases=args.cases,
        random_state=args.seed, verbose=1,
    )
    tables = compare_with_study(result["repeated"])
    summary = tables["summary"].rename(columns={
        "study": "study (Balve & Hendrix)", "ours": "skmammo, same protocol"})
    text = "\n\n".join([
        f"Our {args.runs} runs on the study's 48 test films, scored as the study scored "
        "its own (from the mean confusion matrix); \"ours mean\" and its 95% interval are "
        "over the runs' own scores (t interval, clipped to [0, 1]).  \"within study "
        "spread\" checks the goal: within one standard deviation of the study's 10 runs "
        "(accuracy 0.05, balanced accuracy 0.07).",
        markdown_table(summary),
        "Per class (study: precision, recall and F1 from its mean confusion matrix, ROC AUC "
        "from one run; ours: the same, ROC AUC averaged over runs):",
        markdown_table(tables["per_class"], "class"),
        "Mean confusion matrices (rows true, columns predicted):",
        markdown_table(tables["confusion"], "true", digits=1),
        "Explanations of the reported model's test crops (first run); the pointing game and "
        "the positive share are means over the n_lesions crops with an annotated lesion:",
        markdown_table(result["explainer_table"], "method"),
    ])
    record = {"summary": tables["summary"].reset_index().to_dict(orient="records"),
              "per_class": {f"{metric}/{side}": values for (metric, side), values
                            in tables["per_class"].to_dict(orient="list").items()}}
    record["confusion_mean"] = result["repeated"].confusion_mean.tolist()
    record["runs"] = result["repeated"].runs.to_dict(orient="records")
    return text, record


def _lesion_data(args):
    bunch = load_mias(args.mias, unit="lesion", verbose=0)
    logger.info("%d rows (lesions and normal films) %s, %d patients", len(bunch.target),
                np.bincount(bunch.target).tolist(), len(np.unique(bunch.groups)))
    return bunch


def _cnn_params(args) -> dict:
    """``--epochs`` and ``--size`` when given (quick runs); else the pipeline's defaults."""
    return {name: value for name, value in (("epochs", args.epochs), ("size", args.size))
            if value}


def crop_scale(frame: pd.DataFrame, mode: str = "native") -> np.ndarray:
    """log side of each row's crop box in film pixels (stateless modes only)."""
    from skmammo.preprocessing import ROICropper

    boxes = ROICropper(mode=mode).crop_boxes(frame)
    return np.log(boxes[:, 2:3] - boxes[:, 0:1])


def scale_only_model(mode: str = "study"):
    """A logistic regression on the crop's size alone, for the study's one split."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline as sk_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return sk_pipeline(FunctionTransformer(crop_scale, kw_args={"mode": mode}),
                       LogisticRegression(class_weight="balanced"))


def study_split_facts(args) -> dict:
    """The study's split: woman overlap, and what the crop size alone scores on it."""
    films = load_mias(args.mias, unit="film", verbose=0)
    train, val, test = study_split(films.target)
    seen = set(films.groups[np.concatenate([train, val])])
    scale = repeated_evaluation(scale_only_model("study"), films.frame, films.target,
                                protocol="study", n_runs=1, verbose=0).pooled_scores()
    return {"overlap": sum(g in seen for g in films.groups[test]), "n_test": len(test),
            "scale_accuracy": scale["accuracy"],
            "scale_balanced_accuracy": scale["balanced_accuracy"]}


PAIRED_CAPTION = (
    "Paired comparisons on the same folds: mean per-fold difference (model minus the other), "
    "its 95% interval and two-sided p-value from the corrected resampled paired t-test "
    "(Nadeau & Bengio 2003: variance times 1/J + n_test/n_train, J - 1 degrees of freedom); "
    "intervals clipped to [-1, 1].  A probe sees only the crop's geometry: log side, depth "
    "of its centre in the breast, vertical place on the film, share of background; chance "
    "balanced accuracy is 1/k.")
INTERVAL_CAPTION = ("mean and 95% interval over folds (corrected resampled t, Nadeau & Bengio "
                    "2003), clipped to [0, 1]")


#: The prediction-time variants of ``--part honest``'s trainings; the parts that reuse
#: its checkpointed models (``explanations``, ``films``) ask for the very same run.
HONEST_VARIANTS = {"tta": {"cnn__tta": True}}


def grouped_evaluation(pipe, X, y, groups, args, *, n_runs: int, target_names=None,
                       variants=None, keep: bool = False, checkpoints: str | None = None,
                       part: str | None = None):
    """The network on the patient-grouped folds every part shares (``--folds``, ``--seed``).

    With ``--checkpoints DIR`` the trainings are stored in ``DIR/<part>/<checkpoints>``
    as they finish (``part`` defaults to ``--part``), and a rerun of the same command
    resumes there.
    """
    folder = None
    if args.checkpoints is not None:
        folder = args.checkpoints / (part or args.part) / (checkpoints or "network")
    result = repeated_evaluation(
        pipe, X, y, groups=groups, protocol="grouped", n_runs=n_runs, n_splits=args.folds,
        random_state=args.seed, target_names=target_names, variants=variants,
        return_estimators=keep, checkpoint_dir=folder, verbose=1)
    FIT_SECONDS.append(float(result.runs["fit_seconds"].sum()))
    return result


def evaluate_with_probes(pipe, X, y, groups, args, *, n_runs: int, target_names=None,
                         variants=None, keep: bool = False, checkpoints: str | None = None):
    """The network, its shortcut probes on the same folds, and the paired table.

    With ``--checkpoints DIR`` the trainings are stored in ``DIR/<part>/<checkpoints>``
    as they finish, and a rerun of the same command resumes there.
    """
    from sklearn.base import clone

    from skmammo.evaluation import paired_table, shortcut_probes

    result = grouped_evaluation(pipe, X, y, groups, args, n_runs=n_runs,
                                target_names=target_names, variants=variants, keep=keep,
                                checkpoints=checkpoints)
    # The probes see the network's films and crops: its film steps up to the
    # cropper, fitted on the same training rows with the same run seed.
    probes = shortcut_probes(
        X, y, groups=groups, cropper=clone(pipe[:-1]), n_runs=n_runs,
        n_splits=args.folds, random_state=args.seed, target_names=target_names)
    paired = paired_table(result, probes, ("balanced_accuracy", "macro_roc_auc"))
    return result, probes, paired


def probe_table(probes: dict) -> pd.DataFrame:
    """Balanced accuracy and ROC AUC of every probe, ``mean [low, high]``."""
    return interval_table(probes, ["balanced_accuracy", "macro_roc_auc"]).T


def paired_markdown(paired: pd.DataFrame) -> str:
    """One row per compared model; per metric: its mean, the difference [interval] and p."""
    rows: dict[str, dict[str, str]] = {}
    for name, r in zip(paired.index, paired.itertuples(index=False)):
        row = rows.setdefault(name, {})
        row[f"{r.metric}: other"] = f"{r.other:.3f}"
        row[f"{r.metric}: network - other [95%]"] = (
            f"{r.difference:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]")
        row[f"{r.metric}: p"] = f"{r.p_value:.3f}"
    return markdown_table(pd.DataFrame.from_dict(rows, orient="index"), "network compared with")


def _probe_verdict(probes: dict, k: int) -> str:
    best = max(probes, key=lambda name: probes[name].summary.loc["balanced_accuracy", "mean"])
    score = probes[best].summary.loc["balanced_accuracy", "mean"]
    return (f"Best probe: {best}, balanced accuracy {score:.3f} (chance {1 / k:.3f}; the goal "
            f"is within 0.05 of chance: {'met' if score - 1 / k <= 0.05 else 'not met'}).")


def honest_part(args, out: Path) -> tuple[str, dict]:
    from skmammo.explain.metrics import compare_explainers
    from skmammo.pipeline import make_pipeline

    facts = study_split_facts(args)
    bunch = _lesion_data(args)
    X, y, groups = bunch.frame, bunch.target, bunch.groups
    pipe = make_pipeline(mode=args.crop, **_cnn_params(args))
    result, probes, paired = evaluate_with_probes(
        pipe, X, y, groups, args, n_runs=args.repeats, variants=HONEST_VARIANTS, keep=True)
    training_minutes = result.runs["fit_seconds"].sum() / 60
    metrics = ["accuracy", "balanced_accuracy", "macro_f1", "recall_malignant",
               "recall_benign", "macro_roc_auc", "baseline_accuracy",
               "baseline_balanced_accuracy"]
    table = interval_table({f"network ({args.crop} crops)": result,
                            "+ test-time augmentation": result.variants["tta"]}, metrics)
    gain = (result.variants["tta"].runs["balanced_accuracy"]
            - result.runs["balanced_accuracy"])
    networks = [est[-1] for est in result.estimators]
    trained = np.array([len(net.history_["loss"]) for net in networks])
    best = np.array([net.best_epoch_ or len(net.history_["loss"]) for net in networks])
    limit = networks[0].epochs

    # Explainers on the first fold's held-out lesions (located ones: the
    # localization needs the annotated circle), with that fold's model.
    train, test = result.splits[0]
    located = [i for i in test if y[i] > 0 and np.isfinite(X["x"].iloc[i])][: args.explain]
    explainer_table = compare_explainers(
        result.estimators[0], X.iloc[located], seeds=[args.seed, args.seed + 1],
        method_params={"lime": {"verbose": 1}, "shap": {"verbose": 1}},
    ).table
    result.estimators = None
    result.runs.to_csv(out / "runs.csv", index=False)
    result.variants["tta"].runs.to_csv(out / "runs_tta.csv", index=False)
    pd.concat({name: r.runs for name, r in probes.items()}).to_csv(out / "probes.csv")
    paired.to_csv(out / "paired.csv")
    explainer_table.to_csv(out / "explainers.csv")

    counts = np.bincount(y)
    text = "\n\n".join([
        f"{len(y)} rows ({counts[0]} normal films, {counts[1]} benign and {counts[2]} "
        f"malignant lesions) of {len(np.unique(groups))} patients; {args.folds}-fold "
        f"stratified group cross-validation "
        f"{'run once' if args.repeats == 1 else f'repeated {args.repeats} times'} "
        f"({len(result.runs)} trainings): {INTERVAL_CAPTION}.  The baselines always predict "
        "the training folds' majority class.",
        markdown_table(table, "metric"),
        f"The {len(result.runs)} trainings took {training_minutes:.1f} min; one training {result.runs['fit_seconds'].mean() / 60:.1f}"
        f" min on average (from {result.runs['fit_seconds'].min() / 60:.1f} to "
        f"{result.runs['fit_seconds'].max() / 60:.1f}, early stopping decides: it ended "
        f"{(trained < limit).sum()} of {len(trained)} trainings before the {limit}-epoch "
        f"limit; epochs trained {trained.min()}-{trained.max()}, best epoch median "
        f"{np.median(best):.0f}).  Test-time "
        f"augmentation changed the balanced accuracy by {gain.mean():+.3f} on average over the "
        f"{len(gain)} folds (better in {(gain > 0).sum()}, worse in {(gain < 0).sum()}).",
        f"Shortcut probes on the same folds and the same crops ({INTERVAL_CAPTION}):",
        markdown_table(probe_table(probes), "probe"),
        _probe_verdict(probes, 3),
        PAIRED_CAPTION,
        paired_markdown(paired),
        f"Mean confusion matrix per repeat (rows true, columns predicted; "
        f"{', '.join(result.target_names)}):",
        markdown_table(pd.DataFrame(result.confusion_mean, index=result.target_names,
                                    columns=result.target_names), "true", digits=1),
        f"Explanations of {len(located)} held-out lesion crops of the first fold by that "
        "fold's model (two seeds: the first is timed and scored, both measure stability):",
        markdown_table(explainer_table, "method"),
        f"For contrast, the study's split by film puts {facts['overlap']} of its "
        f"{facts['n_test']} test films beside the other breast of the same woman in training; "
        "on that split a logistic regression on nothing but the size of the study's crop box "
        f"scores accuracy {facts['scale_accuracy']:.3f} and balanced accuracy "
        f"{facts['scale_balanced_accuracy']:.3f}.",
    ])
    record = {"study_split": facts, "training_minutes": training_minutes,
              "epochs_trained": trained.tolist(), "best_epochs": best.tolist(),
              "summary": result.summary.reset_index().to_dict(orient="records"),
              "summary_tta": result.variants["tta"].summary.reset_index().to_dict(
                  orient="records"),
              "probes": {name: r.summary.reset_index().to_dict(orient="records")
                         for name, r in probes.items()},
              "paired": paired.reset_index().to_dict(orient="records"),
              "explainers": explainer_table.reset_index().to_dict(orient="records")}
    return text, record


def network_section(pipe, X, y, groups, args, out: Path, name: str, heading: str,
                    target_names=None) -> tuple[list[str], dict]:
    """The network, its probes and the paired table on one data set, as Markdown and a record."""
    names = list(target_names or TARGET_NAMES)
    result, probes, paired = evaluate_with_probes(
        pipe, X, y, groups, args, n_runs=args.repeats, target_names=target_names,
        checkpoints=name)
    result.runs.to_csv(out / f"runs_{name}.csv", index=False)
    paired.to_csv(out / f"paired_{name}.csv")
    metrics = ["balanced_accuracy", "macro_f1", f"recall_{names[-1]}", "macro_roc_auc",
               "baseline_balanced_accuracy"]
    section = [
        f"{heading}, {len(result.runs)} trainings ({INTERVAL_CAPTION}):",
        markdown_table(interval_table({"network": result}, metrics), "metric"),
        markdown_table(probe_table(probes), "probe"),
        _probe_verdict(probes, len(names)),
        paired_markdown(paired),
    ]
    record = {"summary": result.summary.reset_index().to_dict(orient="records"),
              "paired": paired.reset_index().to_dict(orient="records")}
    return section, record


def contrast_part(args, out: Path) -> tuple[str, dict]:
    """The same folds with the crops that carry the label: native and the study's."""
    from skmammo.pipeline import make_pipeline

    bunch = _lesion_data(args)
    sections, record = [], {}
    for mode in ("native", "study"):
        section, record[mode] = network_section(
            make_pipeline(mode=mode, **_cnn_params(args)), bunch.frame, bunch.target,
            bunch.groups, args, out, mode,
            f"**{mode} crops** (`make_pipeline(mode=\"{mode}\")`)")
        sections += section
    text = "\n\n".join([
        f"The same rows, folds ({args.folds}-fold stratified group cross-validation, "
        f"{args.repeats} repeat(s), seed {args.seed}) and network; only the crops differ.  "
        + PAIRED_CAPTION, *sections])
    return text, record


def probes_part(args, out: Path) -> tuple[str, dict]:
    """Only the shortcut probes, for every crop mode and task: cheap, no network."""
    from sklearn.base import clone

    from skmammo.evaluation import shortcut_probes
    from skmammo.pipeline import make_pipeline

    bunch = _lesion_data(args)
    tasks = {"normal, benign, malignant": (list(bunch.target_names),
                                           np.ones(len(bunch.target), bool), bunch.target)}
    for task, (names, rows, relabel) in TASKS.items():
        tasks[task] = (names, rows(bunch.target), relabel(bunch.target))
    # Denoiser, CLAHE (and the study's FilmResizer) learn nothing: run them once
    # per mode; each fold then fits only the cropper, on its training rows.
    films, croppers = {}, {}
    for mode in ("window", "native", "study"):
        pipe = make_pipeline(mode=mode)
        films[mode], croppers[mode] = pipe[:-2].fit_transform(bunch.frame), pipe["crop"]
    sections, record = [], {}
    for task, (names, rows, y_all) in tasks.items():
        keep = np.flatnonzero(rows)
        y, groups = y_all[keep], bunch.groups[keep]
        columns, verdicts = {}, []
        for mode in films:
            probes = shortcut_probes(
                films[mode].iloc[keep], y, groups=groups, cropper=clone(croppers[mode]),
                n_runs=args.repeats, n_splits=args.folds, random_state=args.seed,
                target_names=names)
            columns[f"{mode} crops"] = interval_table(probes, ["balanced_accuracy"]).T[
                "balanced_accuracy"]
            verdicts.append(f"{mode}: {_probe_verdict(probes, len(names))}")
            record[f"{task} / {mode}"] = {name: r.summary.loc["balanced_accuracy"].to_dict()
                                         for name, r in probes.items()}
        counts = np.bincount(y)
        sections += [
            f"**{task}** ({len(y)} rows: "
            + ", ".join(f"{c} {n}" for c, n in zip(counts, names))
            + f"; chance {1 / len(names):.3f}), balanced accuracy of each probe "
            f"({INTERVAL_CAPTION}):",
            markdown_table(pd.DataFrame(columns), "probe"),
            "\n".join(f"- {v}" for v in verdicts),
        ]
    text = "\n\n".join([
        f"The probes alone (no network), on {args.folds}-fold stratified group "
        f"cross-validation repeated {args.repeats} times (seed {args.seed}: the folds and "
        "seeds of the other parts), for the three crop modes and three tasks.  Each fold "
        "fits the cropper on its training rows (the window mode learns there where lesion "
        "windows sit, depth in the breast and height on the film, to place normal windows) "
        "and scores the probe on the held-out patients.", *sections])
    return text, record


TASKS = {
    "benign vs malignant (lesions only)": (["benign", "malignant"],
                                           lambda y: y > 0, lambda y: y - 1),
    "normal vs abnormal": (["normal", "abnormal"], lambda y: np.ones(len(y), bool),
                           lambda y: (y > 0).astype(int)),
}


def tasks_part(args, out: Path) -> tuple[str, dict]:
    """Two binary tasks with the default (window) pipeline, probes and paired tests."""
    from skmammo.pipeline import make_pipeline

    bunch = _lesion_data(args)
    sections, record = [], {}
    for i, (task, (names, rows, relabel)) in enumerate(TASKS.items()):
        keep = np.flatnonzero(rows(bunch.target))
        y, groups = relabel(bunch.target[keep]), bunch.groups[keep]
        counts = np.bincount(y)
        section, record[task] = network_section(
            make_pipeline(mode=args.crop, **_cnn_params(args)), bunch.frame.iloc[keep], y,
            groups, args, out, f"task{i}",
            f"**{task}**: {len(y)} rows ({counts[0]} {names[0]}, {counts[1]} {names[1]}) of "
            f"{len(np.unique(groups))} patients", target_names=names)
        sections += section
    text = "\n\n".join([
        f"`make_pipeline(mode=\"{args.crop}\")` on two-class problems, {args.folds}-fold "
        f"stratified group cross-validation, {args.repeats} repeat(s), seed {args.seed}.  "
        + PAIRED_CAPTION, *sections])
    return text, record


def tuned_part(args, out: Path) -> tuple[str, dict]:
    from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

    from skmammo.pipeline import make_pipeline

    bunch = _lesion_data(args)
    X, y, groups = bunch.frame, bunch.target, bunch.groups
    search = GridSearchCV(
        make_pipeline(mode=args.crop, **_cnn_params(args)),
        {"cnn__class_weight": [None, STUDY_PIPELINE_PARAMS["class_weight"]]},
        cv=StratifiedGroupKFold(n_splits=args.inner_folds), scoring="balanced_accuracy",
    )
    result = repeated_evaluation(
        search, X, y, groups=groups, protocol="grouped", n_runs=1, n_splits=args.folds,
        random_state=args.seed, fit_groups=True, return_estimators=True, verbose=1,
    )
    chosen = [str(est.best_params_["cnn__class_weight"]) for est in result.estimators]
    # What each candidate scored on the inner folds of each training part.
    inner = pd.DataFrame(
        [est.cv_results_["mean_test_score"] for est in result.estimators],
        index=[f"outer fold {i + 1}" for i in range(len(result.estimators))],
        columns=[f"inner balanced accuracy, class_weight={p['cnn__class_weight']}"
                 for p in result.estimators[0].cv_results_["params"]],
    )
    inner["chosen"] = chosen
    result.estimators = None
    result.runs.to_csv(out / "runs.csv", index=False)
    metrics = ["accuracy", "balanced_accuracy", "macro_f1", "recall_malignant",
               "recall_benign", "macro_roc_auc"]
    text = "\n\n".join([
        f"{args.folds}-fold stratified group cross-validation (one repeat, "
        f"{len(result.runs)} outer trainings); inside each training part, GridSearchCV "
        f"chose the class weights by balanced accuracy on {args.inner_folds} patient-grouped "
        "inner folds, then refitted on the whole training part:",
        markdown_table(inner, ""),
        "The tuned models on the outer test folds (mean and 95% interval):",
        markdown_table(interval_table({"class weights tuned inside": result}, metrics),
                       "metric"),
    ])
    return text, {"chosen": chosen, "inner": inner.reset_index().to_dict(orient="records"),
                  "summary": result.summary.reset_index().to_dict(orient="records")}


def calibrated_evaluation(model, X, y, groups, args, target_names=None):
    """``model`` (an unfitted ``HeldOutCalibration``) on the grouped folds, models kept.

    Every training scores the recalibrated and the network's own
    probabilities (variant ``raw``) of the same model.  With ``--checkpoints
    DIR`` the trainings are stored in ``DIR/calibration/calibrated``, where the
    films and explanations parts find them (``--trainings calibration``).
    """
    folder = None if args.checkpoints is None else args.checkpoints / "calibration" / "calibrated"
    result = repeated_evaluation(
        model, X, y, groups=groups, protocol="grouped", n_runs=args.repeats,
        n_splits=args.folds, random_state=args.seed,
        target_names=list(target_names or TARGET_NAMES), fit_groups=True,
        variants={"raw": {"calibrated": False}}, return_estimators=True, checkpoint_dir=folder,
        verbose=1)
    FIT_SECONDS.append(float(result.runs["fit_seconds"].sum()))
    return result


def default_calibration(args):
    """The calibration part's model: the window pipeline in ``HeldOutCalibration``."""
    from skmammo.evaluation import HeldOutCalibration
    from skmammo.pipeline import make_pipeline

    return HeldOutCalibration(make_pipeline(mode=args.crop, **_cnn_params(args)),
                              confidence=args.confidence, random_state=args.seed)


def network(model):
    """The fitted pipeline inside a ``HeldOutCalibration`` (or ``model`` itself)."""
    return getattr(model, "estimator_", model)


def fold_models(X, y, groups, args) -> tuple[object, str]:
    """The trainings the films and explanations parts read, and a sentence naming them.

    ``--trainings honest`` (the default): the honest part's networks;
    ``--trainings calibration``: the calibration part's, each trained on 80%
    of its training part's patients and recalibrated on the rest.  Either is
    restored from ``--checkpoints`` when its part ran first, and trained (and
    stored there) otherwise; same rows, folds and seed either way.
    """
    from skmammo.pipeline import make_pipeline

    if args.trainings == "calibration":
        result = calibrated_evaluation(default_calibration(args), X, y, groups, args)
        return result, (
            "the trainings of `--part calibration` (restored from `--checkpoints` when it ran "
            "first): each network trained on 80% of its training part's patients, "
            "temperature-scaled on the other 20%")
    result = grouped_evaluation(make_pipeline(mode=args.crop, **_cnn_params(args)), X, y,
                                groups, args, n_runs=args.repeats, variants=HONEST_VARIANTS,
                                keep=True, part="honest")
    return result, ("the trainings of `--part honest` (restored from `--checkpoints` when it "
                    "ran first)")


def calibration_section(model, X, y, groups, args, out: Path,
                        target_names=None) -> tuple[list[str], dict]:
    """Recalibration and prediction sets on held-out patients, over the folds, as Markdown.

    ``model`` is an unfitted ``HeldOutCalibration``; every training fits it on
    its training folds (the calibration patients split off inside, by patient)
    and scores the recalibrated and the network's own probabilities of the
    same model (variant ``raw``) and the prediction sets on the test fold.
    """
    from skmammo.evaluation import conformal_coverage_band, paired_comparison, rows_needed

    names = list(target_names or TARGET_NAMES)
    result = calibrated_evaluation(model, X, y, groups, args, target_names=names)
    described = [est.describe() for est in result.estimators]
    result.estimators = None
    raw = result.variants["raw"]
    result.runs.to_csv(out / "runs_calibrated.csv", index=False)
    raw.runs.to_csv(out / "runs_raw.csv", index=False)

    scores = ["ece", *(f"ece_{n}" for n in names), "brier", "log_loss"]
    rows = {}
    for metric in scores:
        c = paired_comparison(result, raw, metric)
        rows[metric] = {"network's own": mean_interval(raw.summary, metric),
                        "recalibrated": mean_interval(result.summary, metric),
                        "recalibrated - own [95%]": f"{c.difference:+.3f} [{c.ci_low:+.3f}, "
                                                    f"{c.ci_high:+.3f}]",
                        "p": f"{c.p_value:.3f}"}
    calibration = pd.DataFrame.from_dict(rows, orient="index")
    level = float(model.confidence)
    coverage = {}
    for name in ("all", *names):
        suffix = "" if name == "all" else f"_{name}"
        coverage[name] = {"coverage": mean_interval(result.summary, f"coverage{suffix}"),
                          "mean set size": mean_interval(result.summary, f"set_size{suffix}")}
    coverage = pd.DataFrame.from_dict(coverage, orient="index")
    # every row is tested once per repeat: the pooled coverage of a repeat against the band
    runs = result.runs
    pooled = (runs["coverage"] * runs["n_test"]).groupby(runs["run"]).sum() / \
        runs["n_test"].groupby(runs["run"]).sum()
    # each fold's classes: calibration rows (its model's calibration part) and test rows
    counts = {}
    for (_, test), d, run in zip(result.splits, described, runs["run"]):
        tested = np.bincount(np.asarray(y)[test], minlength=len(names))
        counts.setdefault(run, []).extend(
            (int(d["counts"].get(c, 0)), int(tested[c])) for c in range(len(names)))
    bands = {run: conformal_coverage_band(level, pairs) for run, pairs in counts.items()}
    inside = [bands[run][0] <= p <= bands[run][2] for run, p in pooled.items()]
    low, expected, high = bands[min(bands)]
    fallback = sum(bool(d["too_few"]) for d in described)
    temperatures = [d["temperature"] for d in described if d["temperature"] is not None]
    ece_lower = (runs["ece"] < raw.runs["ece"]).sum()
    section = [
        f"`HeldOutCalibration(make_pipeline(mode=\"{args.crop}\"), method="
        f"\"{model.method}\", confidence={level})`, {len(runs)} trainings: in every "
        f"training part, {model.calibration_fraction:.0%} of the patients are held out "
        "(by patient) to fit the temperature and the Mondrian conformal sets; the network "
        "trains on the rest and its early stopping splits that part again.  Calibration "
        f"rows per training: {min(d['rows'] for d in described)} to "
        f"{max(d['rows'] for d in described)}; fitted temperatures "
        + (f"{min(temperatures):.2f} to {max(temperatures):.2f}" if temperatures else "none")
        + f".  {INTERVAL_CAPTION}; paired corrected resampled t-test on the same folds.",
        markdown_table(calibration, "score"),
        "What the same models classify (recalibrated"
        + ("; temperature scaling leaves the predicted class as it is"
           if model.method == "temperature" else "")
        + "): accuracy " + mean_interval(result.summary, "accuracy")
        + ", balanced accuracy " + mean_interval(result.summary, "balanced_accuracy")
        + f" (chance {1 / len(names):.3f}), macro ROC AUC "
        + mean_interval(result.summary, "macro_roc_auc") + ".",
        f"Recalibration lowered the top-label ECE in {ece_lower} of {len(runs)} test folds "
        "(the goal, a recalibrated ECE below the network's own, is "
        + ("met on average" if result.summary.loc["ece", "mean"] < raw.summary.loc["ece", "mean"]
           else "not met") + ").",
        f"Prediction sets at {level:.0%} per true class ({INTERVAL_CAPTION}; set size in "
        f"[0, {len(names)}]):",
        markdown_table(coverage, "true class"),
        "Pooled coverage per repeat (every row tested once): "
        + ", ".join(f"{p:.3f}" for p in pooled)
        + f"; Mondrian conformal sets at {level:.0%} with these folds' calibration and test "
        f"rows per class cover {expected:.3f} of the rows in expectation (conformal sets "
        "are conservative), and their pooled coverage falls between "
        f"{low:.3f} and {high:.3f} in 95% of draws (beta-binomial per class and fold, "
        f"Vovk 2012; the first repeat's band): {sum(inside)} of {len(inside)} repeat(s) "
        "inside" + (" (the goal is met)." if all(inside) else " (the goal is not met)."),
        f"Trainings with the full-set fallback (a class with fewer than "
        f"{rows_needed(level)} calibration rows): {fallback} of "
        f"{len(described)}"
        + ("." if not fallback else ", classes: " + ", ".join(sorted(
            {names[int(c)] for d in described for c in d["too_few"]})) + "."),
    ]
    record = {"summary": result.summary.reset_index().to_dict(orient="records"),
              "summary_raw": raw.summary.reset_index().to_dict(orient="records"),
              "pooled_coverage": pooled.tolist(), "band": [low, high],
              "expected_coverage": expected, "band_counts": counts[min(counts)],
              "calibration": described}
    return section, record


def calibration_part(args, out: Path) -> tuple[str, dict]:
    """The default window pipeline recalibrated on held-out patients, with prediction sets."""
    bunch = _lesion_data(args)
    section, record = calibration_section(default_calibration(args), bunch.frame, bunch.target,
                                          bunch.groups, args, out)
    counts = np.bincount(bunch.target)
    text = "\n\n".join([
        f"{len(bunch.target)} rows ({counts[0]} normal films, {counts[1]} benign and "
        f"{counts[2]} malignant lesions) of {len(np.unique(bunch.groups))} patients; "
        f"{args.folds}-fold stratified group cross-validation, {args.repeats} repeat(s), "
        f"seed {args.seed} (the folds of the other parts).", *section])
    return text, record


EXPLAIN_METHODS = ("gradcam", "hirescam", "layercam", "occlusion", "lime", "shap")
CAM_METHODS = ("gradcam", "hirescam", "layercam")


def explanations_section(result, X, y, args, out: Path, *,
                         methods=EXPLAIN_METHODS) -> tuple[list[str], dict]:
    """Every method on every held-out located lesion of every training of ``result``.

    ``result`` is a grouped ``repeated_evaluation`` with ``return_estimators``.
    Per training: ``compare_explainers`` on the test fold's lesions with a
    centre and radius (two seeds; the baselines on the same crops) and the
    cascading randomisation test of the CAMs on up to 50 of them.  Then the
    per-method means with an interval over trainings, and paired tests on
    the first repeat, where every lesion is held out exactly once.
    """
    from skmammo.explain import get_explainer, randomization_test
    from skmammo.explain.metrics import compare_explainers, paired_methods
    from skmammo.evaluation._intervals import score_summary

    tables, per_image, sanity, curves, threshold = [], [], [], [], 0.5
    located_all = np.isfinite(X["x"].to_numpy(float)) & np.isfinite(X["radius"].to_numpy(float))

    def explain_training(j, test, est):
        est = network(est)  # the network's own maps and probabilities, even when recalibrated
        run = int(result.runs["run"].iloc[j])
        located = [i for i in test if y[i] > 0 and located_all[i]]
        logger.info("training %d: explaining %d held-out lesions", j, len(located))
        comparison = compare_explainers(
            est, X.iloc[located], methods, seeds=[args.seed, args.seed + 1],
            method_params={"lime": {"verbose": 0}, "shap": {"verbose": 0}})
        per = comparison.per_image.copy()
        per["image"] = [f"{j}:{located[i]}" for i in per["image"]]
        per["run"], per["row"] = run, [located[i] for i in comparison.per_image["image"]]
        done = {"table": comparison.table.assign(training=j, run=run), "per_image": per,
                "curves": [], "sanity": [], "threshold": 0.5}
        for m in [m for m in methods if m in CAM_METHODS]:
            check = randomization_test(est, X.iloc[located[:50]], method=m,
                                       random_state=args.seed)
            done["curves"].append(check.table.assign(method=m, training=j))
            done["threshold"] = check.threshold
            done["sanity"].append({"training": j, "method": m, "spearman": check.similarity,
                                   "ssim": float(check.table["ssim"].iloc[-1]),
                                   "passed": check.passed})
        return done

    folder = explanation_checkpoints(args, methods)
    for j, ((train, test), est) in enumerate(zip(result.splits, result.estimators)):
        done = checkpointed(folder, j, lambda: explain_training(j, test, est))
        tables.append(done["table"])
        per_image.append(done["per_image"])
        curves += done["curves"]
        sanity += done["sanity"]
        threshold = done["threshold"]
    every = pd.concat(tables)
    per_image = pd.concat(per_image, ignore_index=True)
    sanity = pd.DataFrame(sanity)
    every.to_csv(out / "explainers_per_training.csv")
    per_image.to_csv(out / "explainers_per_image.csv", index=False)
    sanity.to_csv(out / "sanity.csv", index=False)
    figures = []
    if curves:
        curves = pd.concat(curves, ignore_index=True)
        curves.to_csv(out / "sanity_layers.csv", index=False)
        figures.append(sanity_png(curves, threshold, out / "explanations_sanity.png"))

    columns = ["pointing_game", "positive_share", "rank_accuracy", "deletion_auc",
               "insertion_auc", "seconds_per_image", "stability_spearman"]
    rows = {}
    # the trainings share training rows: the corrected resampled t of the caption
    ratio = float((result.runs["n_test"] / result.runs["n_train"]).mean())
    for method, group in every.groupby(level=0, sort=False):
        summary = score_summary(group[columns].astype(float), grouped_ratio=ratio,
                                bounds={"seconds_per_image": (0.0, np.inf)})
        rows[method] = {c: mean_interval(summary, c) for c in columns}
    means = pd.DataFrame.from_dict(rows, orient="index")
    first = per_image[per_image["run"] == per_image["run"].min()]
    names = list(dict.fromkeys(first["method"]))
    learned = [m for m in names if m not in ("centre_prior", "random_map")]
    pairs = [(m, base) for m in learned for base in ("centre_prior", "random_map")]
    pairs += [(m, "gradcam") for m in learned if m != "gradcam" and "gradcam" in learned]
    paired = pd.concat([paired_methods(first, metric, pairs=pairs)
                        for metric in ("pointing_game", "rank_accuracy")], ignore_index=True)
    paired_md = paired.assign(
        pair=paired["a"] + " vs " + paired["b"],
        means=[f"{a:.3f} vs {b:.3f}" for a, b in zip(paired["mean_a"], paired["mean_b"])],
        p=[f"{p:.3g}" for p in paired["p_value"]]).set_index("pair")[
            ["metric", "means", "n", "test", "p"]]
    verdicts = sanity.groupby("method").agg(
        spearman=("spearman", "mean"), ssim=("ssim", "mean"),
        passed=("passed", "sum"), trainings=("passed", "size"))
    n_lesions = int(every.groupby("training")["n_lesions"].first().sum())
    stochastic = [m for m in methods if get_explainer(m).stochastic]
    seeds = (f"{', '.join(stochastic)} with two seeds, the deterministic methods once: their "
             "stability is 1 by construction" if stochastic else
             "all deterministic, each run once: stability is 1 by construction")
    section = [
        f"Every held-out lesion with an annotated centre and radius, in each of the "
        f"{len(result.runs)} trainings ({n_lesions} lesion crops in all; each lesion is held "
        f"out once per repeat), explained by that training's model with "
        f"{', '.join(methods)} ({seeds}), beside two maps that ignore the image on the same "
        f"crops (centre prior, random map).  Mean over trainings and 95% interval "
        "(corrected resampled t):",
        markdown_table(means, "method"),
        "Paired on the first repeat (every lesion once): exact McNemar for the pointing game, "
        "Wilcoxon signed-rank for the rank accuracy; uncorrected for the number of pairs:",
        markdown_table(paired_md, "methods"),
        "Cascading model-parameter randomisation test of the CAMs (up to 50 lesion crops per "
        "training, every layer randomised; a method passes when the mean Spearman of its "
        "maps to the trained model's falls below 0.5):",
        markdown_table(verdicts, "method"),
        *([f"![Similarity of each CAM's maps to the trained model's as its layers are "
           f"randomised from the top, mean over the trainings]({figures[0].name})"]
          if figures else []),
    ]
    record = {"means": means.reset_index().to_dict(orient="records"),
              "paired": paired.to_dict(orient="records"),
              "sanity": sanity.to_dict(orient="records"), "figures": figures}
    return section, record


def explanation_checkpoints(args, methods) -> Path | None:
    """Where ``--part explanations`` keeps each training's tables (``--checkpoints``), or None.

    The folder is named by everything the tables depend on beyond the restored
    networks (which carry their own identity): methods, seed, trainings, folds,
    repeats, epochs, size and crop.  LIME and Kernel SHAP on every lesion take
    longer than a working session; a rerun of the same command resumes.
    """
    if args.checkpoints is None:
        return None
    import hashlib

    settings = {"methods": list(methods), "seed": args.seed, "trainings": args.trainings,
                "folds": args.folds, "repeats": args.repeats, "epochs": args.epochs,
                "size": args.size, "crop": args.crop}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return args.checkpoints / "explanations" / f"{args.trainings}-{digest}"


def checkpointed(folder: Path | None, j: int, compute):
    """Training ``j``'s result from ``folder`` if an earlier run stored it, else ``compute()``d
    and stored (written under a temporary name, then renamed: never half a file)."""
    if folder is None:
        return compute()
    file = folder / f"training_{j:04d}.pkl"
    if file.is_file():
        logger.info("training %d: explanations restored from %s", j, file)
        return pd.read_pickle(file)
    done = compute()
    folder.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")
    pd.to_pickle(done, partial)
    os.replace(partial, file)
    return done


def sanity_png(curves: pd.DataFrame, threshold: float, path: Path) -> Path:
    """The randomisation curves of every method, averaged over trainings, as a PNG file.

    ``curves``: the ``randomization_test`` tables of every training with
    ``method`` and ``training`` columns; the figure is the summary report's
    (:func:`skmammo.reporting.sanity_figure`).
    """
    import base64

    from skmammo.reporting import sanity_figure

    means = {method: group.groupby("n_randomized", sort=True).agg(
                 layer=("layer", "first"), spearman=("spearman", "mean"),
                 ssim=("ssim", "mean")).reset_index()
             for method, group in curves.groupby("method", sort=False)}
    uri = sanity_figure(means, threshold=threshold)
    path.write_bytes(base64.b64decode(uri.split(",", 1)[1]))
    return path


def explanations_part(args, out: Path) -> tuple[str, dict]:
    """The explainers on every fold's held-out lesions, with the honest or calibration trainings."""
    bunch = _lesion_data(args)
    X, y, groups = bunch.frame, bunch.target, bunch.groups
    result, trainings = fold_models(X, y, groups, args)  # restored, not retrained
    methods = tuple(args.methods.split(",")) if args.methods else EXPLAIN_METHODS
    section, record = explanations_section(result, X, y, args, out, methods=methods)
    text = "\n\n".join([
        f"`make_pipeline(mode=\"{args.crop}\")` on {args.folds}-fold stratified group "
        f"cross-validation, {args.repeats} repeat(s), seed {args.seed}: {trainings}.",
        *section])
    return text, record


FROC_CAPTION = (
    "A candidate hits a lesion when its window centre lies inside the annotated circle; each "
    "lesion counts once, a candidate hitting no lesion of its film is a false positive, and "
    "normal films contribute false positives only.  Sensitivity at r false positives per film: "
    "that of the lowest candidate-score threshold with at most r (step rule); the FROC mean "
    "averages r = 0.25, 0.5, 1, 2, 4.  Film AUCs: normal against abnormal films (1 - the "
    "normal score), films with a malignant lesion against the rest (the malignant score; the "
    "baseline's abnormality).")


def films_part(args, out: Path) -> tuple[str, dict]:
    """Whole-film scans of every fold's test films: the folds' models against a blob detector."""
    if args.crop != "window":
        raise SystemExit("--part films scans whole films with the window pipeline: drop "
                         f"--crop {args.crop}")
    bunch = _lesion_data(args)
    result, trainings = fold_models(bunch.frame, bunch.target, bunch.groups, args)
    return films_section(result, bunch.frame, bunch.target, bunch.groups, args, out,
                         trainings=trainings)


def films_section(result, X, y, groups, args, out: Path, *,
                  trainings: str = "the folds' trainings") -> tuple[str, dict]:
    """Every fold's test films scanned by its model (of ``result``) and by the baseline."""
    from skmammo.evaluation import FILM_METRICS, FROC_RATES, film_evaluation

    # Each fold's network scans with its own window probabilities: the film AUCs and the
    # FROC rank windows and films, and a recalibrated model's calibration is not for that.
    result.estimators = [network(model) for model in result.estimators]
    films = film_evaluation(result, X, y, verbose=1)
    films.to_frame().to_csv(out / "runs.csv", index=False)
    films.curves.to_csv(out / "froc_curves.csv", index=False)
    films.paired.to_csv(out / "paired.csv")
    sides = {"window network (scan)": films.learned, "LoG blob detector": films.baseline}
    sensitivities = [f"sensitivity_{r:g}" for r in FROC_RATES]
    n_films = len(np.unique(X["film"]))
    first = network(result.estimators[0])
    cropper = first.named_steps.get("crop") if hasattr(first, "named_steps") else None
    window = (f"{cropper.window_mm:g}-mm windows at {cropper.size} pixels"
              if cropper is not None else "the pipeline's windows")
    text = "\n\n".join([
        (f"{n_films} films ({len(y)} rows: lesions and normal films) of "
         f"{len(np.unique(groups))} patients; {args.folds}-fold stratified group "
         f"cross-validation, {args.repeats} repeat(s), seed {args.seed}: {trainings}, "
         f"{len(result.runs)} in all.  Each fold's network scans that fold's test films "
         f"whole ({window}, stride 16 network pixels, top-5 film score, at most 10 candidates "
         "per film); the non-learned baseline scans the same films on the same windows with a "
         "Laplacian-of-Gaussian blob detector (lesion radii 4, 8, 16 mm).  "
         f"{int(films.learned.runs['n_lesions'].sum())} located lesions judged over the "
         f"folds (each located test lesion once per repeat); "
         f"{int(films.learned.runs['n_reachable'].sum())} of them hold the centre of an "
         "in-breast window, the most any scanner on these windows can hit (a candidate is a "
         f"window centre).  {INTERVAL_CAPTION}."),
        FROC_CAPTION,
        markdown_table(interval_table(sides, list(FILM_METRICS)), "metric"),
        "Sensitivity at each rate of false positives per film:",
        markdown_table(interval_table(sides, sensitivities), "metric"),
        PAIRED_CAPTION.split("  A probe")[0],
        paired_markdown(films.paired),
    ])
    record = {"summary": films.summary.reset_index().to_dict(orient="records"),
              "paired": films.paired.reset_index().to_dict(orient="records"),
              "runs": films.to_frame().to_dict(orient="records")}
    return text, record


PARTS = {"study": study_part, "honest": honest_part, "contrast": contrast_part,
         "tasks": tasks_part, "probes": probes_part, "tuned": tuned_part,
         "calibration": calibration_part, "explanations": explanations_part,
         "films": films_part}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS), required=True)
    parser.add_argument("--mias", type=Path, default=DEFAULT_ARCHIVE,
                        help="all-mias.tar.gz or its extracted folder")
    parser.add_argument("--out", type=Path, default=Path("reproduce_study"))
    parser.add_argument("--docs", type=Path, default=None,
                        help="also write <docs>/<part>.md (docs/results.md includes them)")
    parser.add_argument("--runs", type=int, default=10, help="study: trainings")
    parser.add_argument("--folds", type=int, default=5, help="honest/tuned/films: outer folds")
    parser.add_argument("--repeats", type=int, default=2,
                        help="honest/contrast/tasks/films: repeats of the k-fold")
    parser.add_argument("--crop", choices=("window", "native"), default="window",
                        help="honest/tasks/tuned: crop mode of the pipeline")
    parser.add_argument("--inner-folds", type=int, default=2, help="tuned: inner folds")
    parser.add_argument("--cases", type=int, default=12, help="study: case reports")
    parser.add_argument("--explain", type=int, default=12,
                        help="honest: held-out lesions explained for the explainer table")
    parser.add_argument("--confidence", type=float, default=0.9,
                        help="calibration: level of the prediction sets")
    parser.add_argument("--methods", default=None,
                        help="explanations: comma-separated methods (default: "
                             + ",".join(EXPLAIN_METHODS) + ")")
    parser.add_argument("--trainings", choices=("honest", "calibration"), default="honest",
                        help="explanations/films: whose trained networks to restore (and "
                             "train when its part has not run)")
    parser.add_argument("--epochs", type=int, default=None, help="most epochs per training")
    parser.add_argument("--size", type=int, default=None,
                        help="network input pixels of the window parts (default: the "
                             "pipeline's, 224); smaller for quick checks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoints", type=Path, default=None,
                        help="honest/contrast/tasks/calibration/films: store every training in this folder as "
                             "it finishes; the same command resumes from it")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("shap").setLevel(logging.WARNING)  # it logs every Kernel SHAP iteration

    out = args.out / args.part
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    text, record = PARTS[args.part](args, out)
    seconds = time.perf_counter() - start
    text = f"{text}\n\n{stamp(seconds, argv)}\n"
    print(text)
    record.update({"seconds": seconds, "argv": argv})
    (out / "results.json").write_text(json.dumps(record, indent=1, default=str))
    if args.docs is not None:
        args.docs.mkdir(parents=True, exist_ok=True)
        target = args.docs / f"{args.part}.md"
        tmp = target.with_suffix(".md.tmp")
        tmp.write_text(f"<!-- written by examples/reproduce_study.py --part {args.part}; "
                       f"do not edit -->\n\n{text}")
        tmp.replace(target)
        for figure in record.get("figures", []):  # figures the Markdown links, beside it
            shutil.copyfile(figure, args.docs / Path(figure).name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
