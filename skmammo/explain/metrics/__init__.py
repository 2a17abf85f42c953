"""Measuring explanations: stability, localization, faithfulness, and a comparison table.

- :func:`stability`: run-to-run agreement across seeds (Spearman correlation
  of the maps, IoU of their top pixels);
- :func:`localization`: agreement with the annotated lesion, a circle or a
  mask (pointing game, relevance mass accuracy = share of positive
  attribution inside, relevance rank accuracy), to read beside the
  baseline maps :func:`centre_prior` and :func:`random_map`;
- :func:`deletion_auc` / :func:`insertion_auc` (and
  :func:`faithfulness_curves`, the whole curves): faithfulness, following the
  class probability while pixels are removed / added in order of attribution;
- :func:`border_share` / :func:`padding_share` / :func:`near_zero`: signs of
  an artefact (a map's weight on the crop border or padding; weights too
  small to show), which the case reports flag;
- :func:`compare_explainers`: all of the above for several methods, as an
  :class:`ExplainerComparison` (the study's Table 3 and Figures 7-8 as numbers),
  with the per-image values it averages;
- :func:`paired_methods`: two methods on the same images, exact McNemar for
  the pointing game, Wilcoxon signed-rank for the continuous scores.

Which methods are worth running more than once (``stochastic``) comes from
the explainer registry (:func:`skmammo.explain.get_explainer`).

Examples
--------
>>> from skmammo.explain import explain, metrics  # doctest: +SKIP
>>> e = explain(clf, crops, "gradcam")  # doctest: +SKIP
>>> metrics.localization(e, x, y, radius)["pointing_game"]  # doctest: +SKIP
>>> metrics.compare_explainers(clf, crops, lesions=(x, y, radius)).table  # doctest: +SKIP
"""

from __future__ import annotations

from skmammo.explain.metrics._artefacts import (
    EDGE_FLAG,
    NEAR_ZERO,
    border_share,
    near_zero,
    padding_share,
)
from skmammo.explain.metrics._compare import ExplainerComparison, compare_explainers
from skmammo.explain.metrics._faithfulness import (
    deletion_auc,
    faithfulness_curves,
    insertion_auc,
)
from skmammo.explain.metrics._localization import (
    BASELINE_MAPS,
    baseline_maps,
    centre_prior,
    circles_in_crop,
    has_lesion_masks,
    localization,
    masks_in_crop,
    random_map,
)
from skmammo.explain.metrics._paired import paired_methods
from skmammo.explain.metrics._stability import stability

__all__ = [
    "BASELINE_MAPS",
    "EDGE_FLAG",
    "NEAR_ZERO",
    "ExplainerComparison",
    "baseline_maps",
    "border_share",
    "centre_prior",
    "circles_in_crop",
    "compare_explainers",
    "deletion_auc",
    "faithfulness_curves",
    "has_lesion_masks",
    "insertion_auc",
    "localization",
    "masks_in_crop",
    "near_zero",
    "paired_methods",
    "padding_share",
    "random_map",
    "stability",
]
