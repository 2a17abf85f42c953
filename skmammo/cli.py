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

logger = logging.getLogger("skmammo")


def _fetch_mias(args: argparse.Namespace) -> int:
    from skmammo.datasets import fetch_mias, get_data_home

    mias = fetch_mias(args.data_home, url=args.url, unit="film", verbose=args.progress)
    logger.info(
        "mini-MIAS is cached in %s: %d usable films",
        get_data_home(args.data_home) / "mias", len(mias.frame),
    )
    return 0


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(message)s")
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
