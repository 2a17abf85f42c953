"""``python -m skmammo.cli``: the ``skmammo`` command."""

import sys

from skmammo.cli import main

sys.exit(main())
