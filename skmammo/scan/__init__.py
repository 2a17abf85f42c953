"""Whole films without annotations: slide a fitted window classifier over every film.

:func:`scan_films` is what :meth:`skmammo.pipeline.MammoPipeline.scan` runs;
:class:`FilmScan` is its result (maps, film scores, candidates).  The network
is rewritten as a fully convolutional one (:mod:`skmammo.models._fcn`), so all
windows of a film come out of one pass.  Importing this package does not
import TensorFlow.

:func:`baseline_scan` is the non-learned comparison: a Laplacian-of-Gaussian
blob detector read on the same windows, with the same result type.

:func:`scan_to_disk` scans many films in chunks, writing each chunk as it
is done and resuming after an interruption; :func:`load_scan` reads it back.

:func:`explain_candidates` explains a scan's top candidates on the windows
the scan scored, each heatmap placed on its film.
"""

from skmammo.scan._baseline import baseline_scan, blob_response
from skmammo.scan._disk import load_scan, scan_to_disk
from skmammo.scan._explain import CandidateExplanations, explain_candidates
from skmammo.scan._result import FilmGrid, FilmScan, film_scores, find_candidates
from skmammo.scan._run import scan_films, scanned_films

__all__ = ["CandidateExplanations", "FilmGrid", "FilmScan", "baseline_scan", "blob_response",
           "explain_candidates", "film_scores", "find_candidates", "load_scan", "scan_films",
           "scan_to_disk", "scanned_films"]
