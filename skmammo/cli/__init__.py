"""The ``skmammo`` command.

Every sub-command ends with a one-line message and a non-zero exit status on
bad input (a path that does not exist, an unwritable folder, a corrupt
archive), never with a traceback; ``-v`` shows more detail.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from skmammo import __version__
from skmammo.cli._messages import _CLI_WORDS, _in_cli_words, _quiet_other_libraries  # noqa: F401

logger = logging.getLogger("skmammo")


def _fetch_mias(args: argparse.Namespace) -> int:
    from skmammo.datasets import fetch_mias, get_data_home

    mias = fetch_mias(args.data_home, url=args.url, unit="film", verbose=args.progress)
    logger.info(
        "mini-MIAS is cached in %s: %d usable films",
        get_data_home(args.data_home) / "mias", len(mias.frame),
    )
    return 0


#: What ``skmammo demo`` trains on: small synthetic films, small crops, so the
#: whole job (fit, evaluate, three explainers, reports) takes minutes on 2 cores.
DEMO_FILMS = 240
DEMO_PIPELINE = {"size": 96, "epochs": 15, "patience": 5, "batch_size": 16}
DEMO_METHODS = {"lime": {"n_samples": 500}, "shap": {"n_samples": 500}}


def _demo(args: argparse.Namespace) -> int:
    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.utils import OutputFolder
    from skmammo.workflow import run_study

    films = make_synthetic_mammograms(args.films, random_state=args.seed)
    params = dict(DEMO_PIPELINE)
    if args.epochs is not None:
        params["epochs"] = args.epochs
    # a failing run removes the folder again if it made it and wrote nothing there
    with OutputFolder(args.out, overwrite=args.force) as out:
        result = run_study(
            films.data, films.target, films.groups, out,
            dataset=f"synthetic mammograms ({args.films} films, seed {args.seed})",
            data_description=films.DESCR, **_calibration(args),
            pipeline_params=params, n_cases=args.cases, methods=args.explain,
            method_params=DEMO_METHODS, pdf=not args.no_pdf, random_state=args.seed,
            verbose=args.progress,
        )
        _summarise(result)
    return 0


def _run(args: argparse.Namespace) -> int:
    from skmammo.datasets import fetch_mias, load_mias
    from skmammo.study import STUDY_PIPELINE_PARAMS, write_study_comparison
    from skmammo.utils import OutputFolder
    from skmammo.workflow import run_study

    unit = "film" if args.protocol == "study" else "lesion"
    params = dict(STUDY_PIPELINE_PARAMS) if args.protocol == "study" else {"mode": args.crop}
    if args.epochs is not None:
        params["epochs"] = args.epochs
    # the folder is checked before the data is read; a failing run removes it again
    # if it made it and wrote nothing there
    with OutputFolder(args.out, overwrite=args.force) as out:
        if args.mias is not None:
            mias = load_mias(args.mias, unit=unit, verbose=args.progress)
        else:
            mias = fetch_mias(args.data_home, unit=unit, verbose=args.progress)
        result = run_study(
            mias.data, mias.target, mias.groups, out,
            dataset=f"mini-MIAS, one row per {unit} ({len(mias.data)} rows)",
            data_description=mias.DESCR, **_calibration(args, study=args.protocol == "study"),
            pipeline_params=params, protocol=args.protocol, n_runs=args.runs,
            n_cases=args.cases, methods=args.explain, pdf=not args.no_pdf,
            random_state=args.seed, verbose=args.progress,
        )
        _summarise(result)
        if args.protocol == "study" and result["repeated"] is not None:
            write_study_comparison(result["repeated"], out)
    return 0


def _train(args: argparse.Namespace) -> int:
    from skmammo.apply import check_model_path, train_model
    from skmammo.datasets import fetch_mias, load_mias, make_synthetic_mammograms

    check_model_path(args.model, overwrite=args.force)  # before any long work
    if args.films is not None and not args.demo:
        raise ValueError("--films counts synthetic films: use it with --demo")
    if args.demo:
        data = make_synthetic_mammograms(n := args.films or DEMO_FILMS, random_state=args.seed)
        params, dataset = dict(DEMO_PIPELINE), f"synthetic mammograms ({n} films, seed {args.seed})"
    else:
        data = (load_mias(args.mias, verbose=args.progress) if args.mias is not None
                else fetch_mias(args.data_home, verbose=args.progress))
        params, dataset = {"mode": "window"}, f"mini-MIAS, one row per lesion ({len(data.data)} rows)"
    params.update({k: v for k, v in (("epochs", args.epochs), ("size", args.size)) if v})
    train_model(data.data, data.target, data.groups, args.model, dataset=dataset,
                pipeline_params=params, overwrite=args.force, random_state=args.seed,
                verbose=args.progress, **_calibration(args))
    return 0


def _scan(args: argparse.Namespace) -> int:
    from skmammo.apply import scan_to_folder

    scan_to_folder(args.model, args.films, args.out, pixel_mm=args.pixel_mm,
                   recursive=args.recursive, overwrite=args.force, verbose=args.progress,
                   stride=args.stride, top_k=args.top_k, max_candidates=args.max_candidates,
                   methods=args.explain,
                   n_explained=args.explained, report=not args.no_report, pdf=not args.no_pdf,
                   chunk_size=args.chunk_size)
    return 0


def _summarise(result) -> None:
    scores = result["evaluation"].scores
    paths = result["paths"]
    logger.info(
        "accuracy %.3f, balanced accuracy %.3f, macro F1 %.3f; report: %s; %d case reports "
        "(%.0f s)",
        scores["accuracy"], scores["balanced_accuracy"], scores["macro_f1"],
        paths["pdf"] or paths["html"], len(paths["cases"]), result["seconds"],
    )
    probes = (result.get("shortcuts") or {}).get("test")
    if probes is not None and len(probes):
        best = probes["balanced_accuracy"].idxmax()
        logger.info("best shortcut probe (crop geometry alone): %s, balanced accuracy %.3f "
                    "(chance %.3f); see the report's shortcut section", best,
                    probes.loc[best, "balanced_accuracy"],
                    1 / len(result["evaluation"].target_names))


def _count(least: int):
    """An argparse type: a whole number of at least ``least`` (a clear usage error otherwise)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"{value} is too small (at least {least})")
        return value
    parse.__name__ = "count"
    return parse


def _add_job_options(parser: argparse.ArgumentParser, out: str, cases: int, epochs: int) -> None:
    parser.add_argument("--out", default=out, help="output folder (default: %(default)s)")
    parser.add_argument("--cases", type=_count(1), default=cases,
                        help="test crops to explain, one case report each (default: %(default)s)")
    _add_explain_option(parser, "gradcam,hirescam,lime,shap",
                        "; LIME and Kernel SHAP take most of the explaining time")
    _add_training_options(parser, epochs)
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML reports only")
    parser.add_argument("--force", action="store_true", help="write into a non-empty folder "
                        "that skmammo did not make (its other files are kept)")


def _add_explain_option(parser: argparse.ArgumentParser, default: str, note: str = "") -> None:
    parser.add_argument("--explain", type=_methods, default=default, metavar="METHODS",
                        help="explanation methods, comma-separated: gradcam, hirescam, "
                        f"layercam, occlusion, lime, shap (default: %(default)s{note})")


def _methods(text: str) -> list[str]:
    """An argparse type: comma-separated explanation methods, checked before any work."""
    from skmammo.explain import get_explainer

    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one method, e.g. gradcam")
    try:
        return list(dict.fromkeys(get_explainer(m).name for m in names))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_training_options(parser: argparse.ArgumentParser, epochs) -> None:
    parser.add_argument("--epochs", type=_count(1), default=None, metavar="E",
                        help=f"most training epochs; early stopping may end a training sooner "
                        f"(default: {epochs})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--calibration", choices=(*_CALIBRATIONS, "none"), default=None,
                        help="recalibrate the probabilities and fit prediction sets on patients "
                             "held out from training (the network then trains on 80%% of the "
                             "training patients); none: the network's own probabilities "
                             "(default: temperature; --protocol study: none)")
    parser.add_argument("--confidence", type=_level, default=0.9, metavar="LEVEL",
                        help="level of the prediction sets (default: %(default)s)")


#: HeldOutCalibration's methods, kept here so ``--help`` imports nothing heavy.
_CALIBRATIONS = ("temperature", "sigmoid", "isotonic")


def _level(text: str) -> float:
    """An argparse type: a level strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and 1 (e.g. 0.9)")
    return value


def _calibration(args: argparse.Namespace, study: bool = False) -> dict:
    """run_study's calibration arguments from ``--calibration`` and ``--confidence``."""
    method = args.calibration or ("none" if study else "temperature")
    return {"calibration": None if method == "none" else method, "confidence": args.confidence}


#: ``MammoCNNClassifier``'s ``epochs`` (what ``skmammo run`` trains at most); kept
#: here so ``--help`` need not import TensorFlow; tests/test_cli.py checks it.
_CLASSIFIER_EPOCHS = 50


def _add_verbosity(parser: argparse.ArgumentParser, default_count, default_quiet) -> None:
    parser.add_argument("-v", "--verbose", action="count", default=default_count,
                        help="log more (repeat for debug output)")
    parser.add_argument("-q", "--quiet", action="store_true", default=default_quiet,
                        help="no progress and no notes: warnings and errors only")


def _add_mias_source(parser: argparse.ArgumentParser):
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--mias", metavar="PATH", help="folder or all-mias.tar.gz archive")
    source.add_argument("--fetch", action="store_true", help="download (once) and cache mini-MIAS")
    parser.add_argument("--data-home", default=None, help="cache folder for --fetch")
    return source


def build_parser() -> argparse.ArgumentParser:
    from skmammo.datasets import MIAS_URL

    parser = argparse.ArgumentParser(
        prog="skmammo",
        description=(
            "Interpretable classification of mammogram regions "
            "(normal / benign / malignant). Research software, not a diagnosis."
        ),
    )
    parser.add_argument("--version", action="version", version=f"skmammo {__version__}")
    _add_verbosity(parser, default_count=0, default_quiet=False)
    # -q / -v also after the sub-command; SUPPRESS keeps a value given before it
    shared = argparse.ArgumentParser(add_help=False)
    _add_verbosity(shared, default_count=argparse.SUPPRESS, default_quiet=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    fetch = commands.add_parser(
        "fetch-mias", parents=[shared],
        help="download, verify and cache the mini-MIAS database",
        description="Download the mini-MIAS archive, check every file against the SHA-256 "
        "sums shipped with skmammo, and cache it (nothing is cached if anything fails).",
    )
    fetch.add_argument(
        "--data-home", default=None,
        help="cache folder (default: $SKMAMMO_DATA or ~/skmammo_data)",
    )
    fetch.add_argument("--url", default=MIAS_URL, help="archive address or local path (default: %(default)s)")
    fetch.set_defaults(func=_fetch_mias)

    demo = commands.add_parser(
        "demo", parents=[shared],
        help="the main job on built-in synthetic films",
        description="Fit the pipeline on synthetic mammograms (split by patient), evaluate it, "
        "explain test crops with Grad-CAM, HiResCAM, LIME and Kernel SHAP, and write report.html, "
        "report.pdf and one case report per explained crop.",
    )
    _add_job_options(demo, "skmammo_demo", 6, DEMO_PIPELINE["epochs"])
    demo.add_argument("--films", type=_count(1), default=DEMO_FILMS,
                      help="number of synthetic films (default: %(default)s)")
    demo.set_defaults(func=_demo)

    run = commands.add_parser(
        "run", parents=[shared],
        help="the main job on mini-MIAS",
        description="The main job on mini-MIAS. --protocol grouped (default): one row per "
        "lesion, one label-free 51.2-mm window per row (--crop native: crops sized by the "
        "lesion, for comparison), patients held out. --protocol study: the study's "
        "films, resize-first crops, class weights and 70/15/15 split.",
    )
    _add_mias_source(run)
    run.add_argument("--protocol", choices=("grouped", "study"), default="grouped",
                     help="evaluation protocol (default: %(default)s)")
    run.add_argument("--crop", choices=("window", "native"), default="window",
                     help="--protocol grouped: crop mode of ROICropper (default: %(default)s)")
    run.add_argument("--runs", type=_count(0), default=0, metavar="N",
                     help="also repeat the evaluation N times and report mean and 95%% interval. "
                     "--protocol grouped: each run is a 5-fold cross-validation by patient, so "
                     "N runs train the network N x 5 times, plus once for the reported model "
                     "(--runs 1: 6 trainings). --protocol study: N trainings on the study's "
                     "split, the first one reported, and the study's tables beside ours "
                     "(study_*.csv) (default: %(default)s, no repeats)")
    _add_job_options(run, "skmammo_mias", 8, _CLASSIFIER_EPOCHS)
    run.set_defaults(func=_run)

    train = commands.add_parser(
        "train", parents=[shared], help="fit the default pipeline and save it to a model file",
        description="Fit the default pipeline (one 51.2-mm window per row; recalibrated on "
        "held-out patients unless --calibration none) on every row of mini-MIAS or synthetic "
        "films and save it to --model. Nothing is held out for testing: see run and demo.")
    _add_mias_source(train).add_argument("--demo", action="store_true", help="synthetic films")
    train.add_argument("--films", type=_count(1), default=None,
                       help=f"--demo: number of synthetic films (default: {DEMO_FILMS})")
    train.add_argument("--model", required=True, metavar="FILE", help="the model file to write")
    train.add_argument("--size", type=_count(16), help="network input pixels (96 with --demo, else 224)")
    _add_training_options(train, f"{DEMO_PIPELINE['epochs']} with --demo, else {_CLASSIFIER_EPOCHS}")
    train.add_argument("--force", action="store_true", help="replace an existing model file")
    train.set_defaults(func=_train)

    scan = commands.add_parser(
        "scan", parents=[shared], help="apply a saved model to whole films without annotations",
        description="Slide the model's window over every film (a folder or files of PGM, PNG, "
        "TIFF or DICOM films) and write film_scores.csv, candidates.csv and report.html/.pdf (per "
        "film: its map, candidates and their explanations) into --out. Loading a "
        "model file executes code (joblib/pickle): only use model files you trust.")
    scan.add_argument("model", metavar="MODEL", help="a model file written by skmammo train")
    scan.add_argument("films", metavar="FILMS", nargs="+", help="a folder of films, or film files")
    scan.add_argument("--out", default="skmammo_scan", help="output folder (default: %(default)s)")
    scan.add_argument("--pixel-mm", type=float, default=None, metavar="MM", help="the pixel "
                      "size films are scanned at: DICOM films with a pixel spacing are resampled "
                      "to it, other films are taken to be at it (default: the training films', "
                      "from the model file; else 0.2)")
    scan.add_argument("--recursive", action="store_true", help="also read sub-folders' films")
    for option, least, default, text in (
            ("--stride", 1, None, "window step in network pixels (default: the network's, 16)"),
            ("--top-k", 1, 5, "windows averaged into a film score (default: %(default)s)"),
            ("--max-candidates", 0, 10, "most candidates per film (default: %(default)s)"),
            ("--explained", 0, 3, "top candidates explained per film (default: %(default)s)"),
            ("--chunk-size", 1, 64, "films per chunk written to --out/chunks; a rerun resumes "
             "after the finished chunks (default: %(default)s)")):
        scan.add_argument(option, type=_count(least), default=default, help=text)
    _add_explain_option(scan, "hirescam")
    scan.add_argument("--no-report", action="store_true", help="write the CSV files only")
    scan.add_argument("--no-pdf", action="store_true", help="write report.html only")
    scan.add_argument("--force", action="store_true", help="write into a non-empty folder")
    scan.set_defaults(func=_scan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose > 1 else logging.INFO
    # skmammo's own messages at the chosen level; other libraries' only when they
    # warn (with -q: when they fail)
    logging.basicConfig(level=logging.ERROR if args.quiet else logging.WARNING,
                        format="%(message)s")
    logger.setLevel(level)
    _quiet_other_libraries(args.quiet)
    args.progress = 0 if args.quiet else 1
    if args.command is None:
        parser.print_help()
        return 0
    try:
        # log lines are printed above a progress bar, never glued to it
        with logging_redirect_tqdm():
            return args.func(args)
    except (OSError, ValueError, TypeError) as exc:
        if args.verbose:
            logger.exception("skmammo %s failed", args.command)
        message = (f"{exc.filename}: {exc.strerror}" if isinstance(exc, OSError)
                   and exc.filename else str(exc))
        for bar in list(tqdm._instances):  # the failed loop's bar: the error on a line of its own
            bar.close()
        print(f"skmammo {args.command}: error: {_in_cli_words(message)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"skmammo {args.command}: interrupted", file=sys.stderr)
        return 130
