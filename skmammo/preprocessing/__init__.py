"""Preprocessing transformers: ``Denoiser -> CLAHE -> ROICropper``.

- :class:`Denoiser`: keep the breast, black out labels, markers and noise;
- :class:`CLAHE`: contrast-limited adaptive histogram equalisation (OpenCV);
- :class:`ROICropper`: one square region of interest per sample, as an
  ``(n, size, size)`` ``uint8`` array, with the crop boxes in film pixels;
- :class:`FilmResizer`: shrink whole films first, as the study did
  (``make_pipeline(mode="study")`` only);
- :func:`plot_steps`: one film through every step (the docs' figure);
- :func:`tissue_depth`: where a point sits in the breast (skin line 0,
  deepest point 1, negative outside), for window placement and the probes.

All are stateless scikit-learn transformers: ``clone``, ``get_params``,
pickling and ``GridSearchCV`` work, and the input is never modified.  A
frame may carry films as files (column ``path``): ``Denoiser`` and ``CLAHE``
then defer their work and ``ROICropper`` reads each film once, when it cuts
its crops (see :func:`skmammo.datasets.read_film`).
"""

from skmammo.preprocessing._base import STUDY_SIDE
from skmammo.preprocessing._clahe import CLAHE
from skmammo.preprocessing._denoise import Denoiser, breast_mask, study_mask
from skmammo.preprocessing._figure import plot_steps
from skmammo.preprocessing._resize import SCALE_COLUMNS, FilmResizer
from skmammo.preprocessing._roi import Crops, ROICropper
from skmammo.preprocessing._tissue import TISSUE_LEVEL, TissueDepth, tissue_depth
from skmammo.utils import as_uint8

__all__ = ["CLAHE", "SCALE_COLUMNS", "STUDY_SIDE", "TISSUE_LEVEL", "Crops", "Denoiser",
           "FilmResizer", "ROICropper", "TissueDepth", "as_uint8", "breast_mask", "plot_steps",
           "study_mask", "tissue_depth"]
