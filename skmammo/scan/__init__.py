"""Whole films without annotations: slide a fitted window classifier over every film.

:func:`scan_films` is what :meth:`skmammo.pipeline.MammoPipeline.scan` runs;
:class:`FilmScan` is its result (maps, film scores, candidates).  The network
is rewritten as a fully convolutional one (:mod:`skmammo.models._fcn`), so all
windows of a film come out of one pass.  Importing this package does not
import TensorFlow.
"""

from skmammo.scan._result import FilmGrid, FilmScan, film_scores, find_candidates
from skmammo.scan._run import scan_films

__all__ = ["FilmGrid", "FilmScan", "film_scores", "find_candidates", "scan_films"]
