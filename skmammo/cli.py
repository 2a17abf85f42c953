"""The ``skmammo`` command.

Every sub-command ends with a one-line message and a non-zero exit status on
bad input (a path that does not exist, an unwritable folder, a corrupt
archive), never with a traceback; ``-v`` shows more detail.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from skmammo import __version__

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

    out = OutputFolder(args.out, overwrite=args.force)
    films = make_synthetic_mammograms(args.films, random_state=args.seed)
    params = dict(DEMO_PIPELINE)
    if args.epochs is not None:
        params["epochs"] = args.epochs
    result = run_study(
        films.data, films.target, films.groups, out,
        dataset=f"synthetic mammograms ({args.films} films, seed {args.seed})",
        pipeline_params=params, n_cases=args.cases, method_params=DEMO_METHODS,
        pdf=not args.no_pdf, random_state=args.seed, verbose=args.progress,
    )
    _summarise(result)
    out.finish()
    return 0


def _run(args: argparse.Namespace) -> int:
    from skmammo.datasets import fetch_mias, load_mias
    from skmammo.study import STUDY_PIPELINE_PARAMS
    from skmammo.utils import OutputFolder
    from skmammo.workflow import run_study

    out = OutputFolder(args.out, overwrite=args.force)
    unit = "film" if args.protocol == "study" else "lesion"
    if args.mias is not None:
        mias = load_mias(args.mias, unit=unit, verbose=args.progress)
    else:
        mias = fetch_mias(args.data_home, unit=unit, verbose=args.progress)
    params = dict(STUDY_PIPELINE_PARAMS) if args.protocol == "study" else {"mode": args.crop}
    if args.epochs is not None:
        params["epochs"] = args.epochs
    result = run_study(
        mias.data, mias.target, mias.groups, out,
        dataset=f"mini-MIAS, one row per {unit} ({len(mias.data)} rows)",
        pipeline_params=params, protocol=args.protocol, n_runs=args.runs,
        n_cases=args.cases, pdf=not args.no_pdf, random_state=args.seed, verbose=args.progress,
    )
    _summarise(result)
    if args.protocol == "study" and result["repeated"] is not None:
        _compare_with_study(result["repeated"], out)
    out.finish()
    return 0


def _compare_with_study(repeated, out) -> None:
    """Log the study's Tables 1-3 beside ours and save them as CSV files in ``out``."""
    from skmammo.study import compare_with_study

    for name, table in compare_with_study(repeated).items():
        path = out.write(f"study_{name}.csv", table.to_csv())
        logger.info("The study's %s beside ours (%s):\n%s", name.replace("_", " "), path,
                    table.to_string(float_format=lambda v: f"{v:.3f}"))


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


def _add_job_options(parser: argparse.ArgumentParser, out: str, cases: int) -> None:
    parser.add_argument("--out", default=out, help="output folder (default: %(default)s)")
    parser.add_argument("--cases", type=int, default=cases,
                        help="test crops to explain, one case report each (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=None, help="most training epochs")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML reports only")
    parser.add_argument("--force", action="store_true",
                        help="write into a non-empty folder that skmammo did not make (its "
                             "other files are kept)")


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
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more (repeat for debug output)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars, warnings and errors only"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    fetch = commands.add_parser(
        "fetch-mias",
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
        "demo",
        help="the main job on built-in synthetic films",
        description="Fit the pipeline on synthetic mammograms (split by patient), evaluate it, "
        "explain test crops with Grad-CAM, LIME and Kernel SHAP, and write report.html, "
        "report.pdf and one case report per explained crop.",
    )
    _add_job_options(demo, "skmammo_demo", 6)
    demo.add_argument("--films", type=int, default=DEMO_FILMS,
                      help="number of synthetic films (default: %(default)s)")
    demo.set_defaults(func=_demo)

    run = commands.add_parser(
        "run",
        help="the main job on mini-MIAS",
        description="The main job on mini-MIAS. --protocol grouped (default): one row per "
        "lesion, one label-free 51.2-mm window per row (--crop native: crops sized by the "
        "lesion, for comparison), patients held out. --protocol study: the study's "
        "films, resize-first crops, class weights and 70/15/15 split.",
    )
    source = run.add_mutually_exclusive_group(required=True)
    source.add_argument("--mias", metavar="PATH", help="folder or all-mias.tar.gz archive")
    source.add_argument("--fetch", action="store_true", help="download (once) and cache mini-MIAS")
    run.add_argument("--data-home", default=None, help="cache folder for --fetch")
    run.add_argument("--protocol", choices=("grouped", "study"), default="grouped",
                     help="evaluation protocol (default: %(default)s)")
    run.add_argument("--crop", choices=("window", "native"), default="window",
                     help="--protocol grouped: crop mode of ROICropper (default: %(default)s)")
    run.add_argument("--runs", type=int, default=0,
                     help="also repeat the training N times and report mean and 95%% interval "
                     "(--protocol study: also the study's tables beside ours, study_*.csv)")
    _add_job_options(run, "skmammo_mias", 8)
    run.set_defaults(func=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose > 1 else logging.INFO
    # skmammo's own messages at the chosen level; other libraries' (shap logs
    # every Kernel SHAP iteration at INFO) only when they warn.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(level)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported
    args.progress = 0 if args.quiet else 1
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except (OSError, ValueError, TypeError) as exc:
        if args.verbose:
            logger.exception("skmammo %s failed", args.command)
        message = str(exc) if not isinstance(exc, OSError) or not exc.filename else (
            f"{exc.filename}: {exc.strerror}"
        )
        print(f"skmammo {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"skmammo {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
