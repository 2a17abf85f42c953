"""The :class:`Explanation` container returned by every explainer."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

__all__ = ["Explanation"]


@dataclass
class Explanation:
    """Heatmaps explaining a batch of crops, arrays first, pictures on request.

    Shaped like ``shap.Explanation`` and pytorch-grad-cam's batch output: one
    heatmap per crop, aligned pixel for pixel with the crop.  Returned by
    :func:`skmammo.explain.explain`, ``MammoCNNClassifier.explain`` and
    ``MammoPipeline.explain``.

    Attributes
    ----------
    method : str
        The registered method (``"gradcam"``, ``"lime"``, ``"shap"``, or one
        added with :func:`~skmammo.explain.register_explainer`).
    heatmaps : ndarray of shape (n, H, W), or (n, n_classes, H, W) for ``target="all"``
        Grad-CAM: the class-activation map scaled to [0, 1] per image (an
        all-zero map means no positive evidence, see ``empty``).  LIME and
        SHAP: the signed weight of each superpixel painted on its pixels, in
        units of the class probability.
    targets : ndarray of int, shape (n,) or (n, n_classes)
        The explained class (column of ``probabilities``) per image.
    probabilities : ndarray of shape (n, n_classes)
        The model's predicted probabilities for each crop.
    params : dict
        The method's parameters, defaults filled in.
    images : ndarray of shape (n, H, W) or None
        The explained crops.
    segments : ndarray of int, shape (n, H, W) or None
        LIME / SHAP superpixels, labelled ``0 .. n_segments - 1`` per image.
    segment_weights : list of ndarray or None
        LIME / SHAP: per image, the weight of every segment, shape
        ``(n_segments,)`` or ``(n_classes, n_segments)`` for ``target="all"``.
    base_values : ndarray or None
        SHAP: the model output on the baseline, so that
        ``segment_weights[i].sum() + base_values[i] == probabilities[i, target]``;
        LIME: the intercept of the local linear model.
    empty : ndarray of bool, shape like ``targets``, or None
        Grad-CAM: True where the map is all zero (no positive evidence).
    seconds_per_image : float
        Wall-clock seconds spent per image.
    boxes : ndarray of shape (n, 4) or None
        Crop boxes ``x0, y0, x1, y1`` in film coordinates (set by the pipeline).
    films : ndarray or None
        Film ids (set by the pipeline).

    Examples
    --------
    >>> import numpy as np
    >>> from skmammo.explain import Explanation
    >>> e = Explanation(method="gradcam", heatmaps=np.zeros((1, 4, 4)),
    ...                 targets=np.array([2]), probabilities=np.array([[.1, .2, .7]]))
    >>> len(e), e.predictions.tolist()
    (1, [2])
    """

    method: str
    heatmaps: np.ndarray
    targets: np.ndarray
    probabilities: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    images: np.ndarray | None = None
    segments: np.ndarray | None = None
    segment_weights: list[np.ndarray] | None = None
    base_values: np.ndarray | None = None
    empty: np.ndarray | None = None
    seconds_per_image: float = float("nan")
    boxes: np.ndarray | None = None
    films: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.heatmaps.shape[0])

    def __repr__(self) -> str:
        return (
            f"Explanation(method={self.method!r}, n={len(self)}, "
            f"heatmaps={tuple(self.heatmaps.shape)}, "
            f"seconds_per_image={self.seconds_per_image:.4g})"
        )

    @property
    def predictions(self) -> np.ndarray:
        """Index of the most probable class per image."""
        return np.asarray(self.probabilities).argmax(axis=1)

    @property
    def all_targets(self) -> bool:
        """True when every class was explained (``target="all"``)."""
        return np.asarray(self.heatmaps).ndim == 4

    def __getitem__(self, index) -> Explanation:
        """A subset of the images, as a new :class:`Explanation`."""
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        n = len(self)
        kwargs = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "segment_weights" and value is not None:
                value = [value[i] for i in np.arange(n)[index]]
            elif isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
                value = value[index]
            kwargs[f.name] = value
        return replace(self, **kwargs)

    def heatmap(self, i: int, target: int | None = None) -> np.ndarray:
        """The heatmap of image ``i`` (for ``target="all"`` explanations, of class ``target``)."""
        h = np.asarray(self.heatmaps[i])
        if h.ndim == 3:
            if target is None:
                target = int(self.predictions[i])
            h = h[int(target)]
        elif target is not None and int(target) != int(np.asarray(self.targets)[i]):
            raise ValueError(
                f"image {i} was explained for class {int(np.asarray(self.targets)[i])}, "
                f"not {target}; explain with target='all' or target={target}"
            )
        return h

    def overlay(
        self,
        i: int,
        *,
        target: int | None = None,
        alpha: float = 0.4,
        cmap: str | None = None,
        image: np.ndarray | None = None,
    ) -> np.ndarray:
        """Heatmap of image ``i`` blended onto its crop, as an RGB ``uint8`` array.

        Drawn as the method's registry entry says (see
        :func:`~skmammo.explain.get_explainer`): unsigned maps (Grad-CAM, in
        [0, 1]) as they are on ``jet``; signed maps (LIME, SHAP) scaled by
        their largest absolute value on the diverging ``RdBu_r`` (red: for
        the class, blue: against).  The same drawing as
        :func:`skmammo.reporting.figures.overlay`.

        Parameters
        ----------
        i : int
            Image index.
        target : int, optional
            Class to draw for ``target="all"`` explanations (default: predicted).
        alpha : float, default=0.4
            Weight of the heatmap in the blend.
        cmap : str, optional
            Matplotlib colour map; the method's registered one by default.
        image : ndarray of shape (H, W), optional
            The crop, when the explanation does not carry ``images``.

        Returns
        -------
        ndarray of shape (H, W, 3), uint8
        """
        from skmammo.explain._overlay import overlay

        h = self.heatmap(i, target)
        if image is None:
            if self.images is None:
                raise ValueError("this Explanation carries no images; pass image=the crop")
            image = self.images[i]
        return overlay(image, h, self.method, alpha=alpha, cmap=cmap)

    def to_film(self, i: int, film_shape: tuple[int, int], *, target: int | None = None) -> np.ndarray:
        """Place the heatmap of image ``i`` on the whole film using its crop box.

        The heatmap is resized to the box ``x0, y0, x1, y1`` (film pixel
        coordinates, origin top-left; it may reach past the film edge, where
        the crop was padded) and written into a zero film-sized array.

        Parameters
        ----------
        i : int
            Image index.
        film_shape : (rows, cols)
            Shape of the film.
        target : int, optional
            Class to draw for ``target="all"`` explanations.

        Returns
        -------
        ndarray of shape film_shape, float32

        Examples
        --------
        >>> import numpy as np
        >>> from skmammo.explain import Explanation
        >>> e = Explanation("gradcam", np.ones((1, 4, 4)), np.array([1]),
        ...                 np.array([[0., 1., 0.]]), boxes=np.array([[2, 2, 6, 6]]))
        >>> e.to_film(0, (8, 8)).sum()
        np.float32(16.0)
        """
        import cv2

        if self.boxes is None:
            raise ValueError(
                "this Explanation has no crop boxes; to_film needs one from MammoPipeline.explain"
            )
        rows, cols = (int(film_shape[0]), int(film_shape[1]))
        x0, y0, x1, y1 = (int(round(v)) for v in np.asarray(self.boxes[i], dtype=float))
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"crop box {i} = {(x0, y0, x1, y1)} is empty")
        h = self.heatmap(i, target).astype(np.float32)
        resized = cv2.resize(h, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        out = np.zeros((rows, cols), dtype=np.float32)
        fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x1, cols), min(y1, rows)
        if fx1 > fx0 and fy1 > fy0:
            out[fy0:fy1, fx0:fx1] = resized[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
        return out
