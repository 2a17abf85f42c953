"""The ``skmammo`` command.

Sub-commands are added as the parts of the flow they drive land; for now the
command reports its version and describes itself.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from skmammo import __version__


def build_parser() -> argparse.ArgumentParser:
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
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose > 1 else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 0
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
