"""Data sets in the mammogram-frame format (see DESIGN.md).

- :func:`load_mias`: the mini-MIAS database from a folder or its archive;
- :func:`fetch_mias`: download, verify and cache the archive, then load it;
- :func:`make_synthetic_mammograms`: a seeded synthetic set for demos and tests;
- :func:`load_films`: films without annotations (a folder or a list of
  PGM/PNG/TIFF/DICOM files), to scan or predict;
- :func:`read_film`: one film from disk (PGM, PNG, TIFF, DICOM, ...), the
  reader of every frame that holds its films by ``path``;
- :func:`read_dicom` / :func:`read_dicom_header`: one DICOM film as 8-bit
  grey by a documented rule, and what its header says (pixel spacing,
  laterality, view, patient);
- :class:`Resample`: the film operation that brings a film to the frame's
  pixel size when it is read (``load_films(..., pixel_mm=...)``).
- :func:`load_cbis_ddsm` / :func:`load_vindr_mammo`: CBIS-DDSM (TCIA) and
  VinDr-Mammo (PhysioNet) from their DICOM downloads;
  :func:`read_lesion_mask` gives a row's lesion mask on its film.
"""

from skmammo.datasets._cbis import CBIS_PIXEL_MM, load_cbis_ddsm
from skmammo.datasets._dicom import DicomHeader, read_dicom, read_dicom_header
from skmammo.datasets._fetch import MIAS_URL, fetch_mias, get_data_home
from skmammo.datasets._films import read_film
from skmammo.datasets._folder import load_films
from skmammo.datasets._frame import FRAME_COLUMNS
from skmammo.datasets._info import code_words
from skmammo.datasets._lesions import read_lesion_mask
from skmammo.datasets._mias import centre_in_background, load_mias
from skmammo.datasets._resample import Resample
from skmammo.datasets._synthetic import make_synthetic_mammograms
from skmammo.datasets._vindr import VINDR_BIRADS_MAP, load_vindr_mammo

__all__ = [
    "CBIS_PIXEL_MM",
    "FRAME_COLUMNS",
    "MIAS_URL",
    "VINDR_BIRADS_MAP",
    "DicomHeader",
    "Resample",
    "centre_in_background",
    "code_words",
    "fetch_mias",
    "get_data_home",
    "load_cbis_ddsm",
    "load_films",
    "load_mias",
    "load_vindr_mammo",
    "make_synthetic_mammograms",
    "read_dicom",
    "read_dicom_header",
    "read_film",
    "read_lesion_mask",
]
