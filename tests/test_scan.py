"""MammoPipeline.scan: whole films, no annotation, one fully convolutional pass per film."""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from skmammo.datasets import make_synthetic_mammograms
from skmammo.pipeline import make_pipeline

#: The stated tolerance of the fully convolutional scan against window-by-window
#: predict_proba on the same resampled film (docs/scanning.md): largest and mean
#: absolute difference in probability.
FCN_MAX, FCN_MEAN = 0.15, 0.03
#: The exact scan (the default): float rounding only.
EXACT_MAX = 1e-5

SIZE = 48  # network input; the synthetic films' window is 64 film pixels (51.2 mm at 0.8 mm)


@pytest.fixture(scope="module")
def films():
    return make_synthetic_mammograms(30, image_size=256, random_state=0)


@pytest.fixture(scope="module")
def fitted(films):
    return make_pipeline(size=SIZE, epochs=1, random_state=0).fit(films.frame, films.target)


def _windows_by_hand(pipe, frame, stride=16):
    """predict_proba of every window cut from the film resampled as the scan does it."""
    prepared = pipe[:-2].transform(frame)
    out = []
    for film in prepared["image"]:
        rows, cols = film.shape
        factor = SIZE / 64
        resized = cv2.resize(film, (round(cols * factor), round(rows * factor)),
                             interpolation=cv2.INTER_AREA)
        # every stride, plus one window flush with the far edge where the grid falls short
        ys, xs = ([*range(0, n - SIZE + 1, stride), *([n - SIZE] if (n - SIZE) % stride else [])]
                  for n in resized.shape)
        crops = np.stack([resized[i:i + SIZE, j:j + SIZE] for i in ys for j in xs])
        out.append(pipe[-1].predict_proba(crops).reshape(len(ys), len(xs), -1))
    return out


def test_scan_equals_window_by_window_within_tolerance(fitted, films):
    frame = films.frame.iloc[:3]
    expected = _windows_by_hand(fitted, frame)
    exact = fitted.scan(frame)                  # the default: border-corrected, exact
    fast = fitted.scan(frame, exact=False)      # the plain fully convolutional pass
    for k, ref in enumerate(expected):
        assert exact.grids[k].probabilities.shape == ref.shape
        assert np.abs(exact.grids[k].probabilities - ref).max() <= EXACT_MAX
        gap = np.abs(fast.grids[k].probabilities - ref)
        assert gap.max() <= FCN_MAX and gap.mean() <= FCN_MEAN, (gap.max(), gap.mean())
        assert gap.max() > EXACT_MAX   # the plain pass is not exact: the correction matters
    assert exact.exact is True and fast.exact is False


def test_films_off_the_grid_get_flush_windows_at_the_far_edges(fitted, films):
    # 232 x 200 pixels at 0.8 mm: resized to 174 x 150, where 16-pixel steps of a 48-pixel
    # window end 14 and 6 pixels short of the bottom and right edges
    frame = films.frame.iloc[:2].copy()
    frame["image"] = [image[:232, :200] for image in frame["image"]]
    expected = _windows_by_hand(fitted, frame)
    scanned = fitted.scan(frame)
    for grid, ref in zip(scanned.grids, expected):
        assert grid.probabilities.shape == ref.shape == (9, 8, 3)
        assert np.abs(grid.probabilities - ref).max() <= EXACT_MAX
        # the last windows end on the film's last pixel (centres in film pixels)
        assert grid.y[-1] + grid.side / 2 == pytest.approx(232 - 0.5, abs=0.5)
        assert grid.x[-1] + grid.side / 2 == pytest.approx(200 - 0.5, abs=0.5)
        # the map is bilinear between the centres, the last step shorter than the others
        from scipy.interpolate import RegularGridInterpolator

        rows, cols = np.mgrid[0:232, 0:200]
        points = np.stack([np.clip(rows, grid.y[0], grid.y[-1]),
                           np.clip(cols, grid.x[0], grid.x[-1])], axis=-1)
        want = RegularGridInterpolator((grid.y, grid.x), grid.probabilities)(points)
        assert np.allclose(grid.to_map(), want, atol=1e-5)


def test_exact_scan_falls_back_to_a_per_window_tail(films):
    # At 44 pixels conv3's block (8) is a multiple of the poolings' 4: the window's
    # bottom border matters too, the corrected pass does not apply, the tail runs per window.
    from skmammo.models import paper_cnn
    from skmammo.models._fcn_exact import exact_sliding

    assert exact_sliding(paper_cnn((44, 44, 3), seed=0)) is None
    assert exact_sliding(paper_cnn((48, 48, 3), seed=0)) is not None
    frame = films.frame.iloc[:12]
    pipe = make_pipeline(size=44, epochs=1, validation_fraction=0, random_state=0)
    pipe.fit(frame, films.target[:12])
    result = pipe.scan(frame.iloc[:1], batch_size=50)
    prepared = pipe[:-2].transform(frame.iloc[:1])["image"].iloc[0]
    resized = cv2.resize(prepared, (176, 176), interpolation=cv2.INTER_AREA)
    starts = [*range(0, 176 - 44 + 1, 16), 132]  # 128 + 44 ends 4 short: one flush window
    crops = np.stack([resized[i:i + 44, j:j + 44] for i in starts for j in starts])
    expected = pipe[-1].predict_proba(crops).reshape(len(starts), len(starts), -1)
    assert np.abs(result.grids[0].probabilities - expected).max() <= EXACT_MAX


def test_smaller_stride_interleaves_the_default_grid(fitted, films):
    frame = films.frame.iloc[:2]
    coarse, fine = fitted.scan(frame), fitted.scan(frame, stride=8)
    # The same windows, evaluated in another pass (float rounding of another batch shape).
    assert np.allclose(fine.grids[0].probabilities[::2, ::2], coarse.grids[0].probabilities,
                       atol=1e-6)
    assert np.allclose(fine.grids[0].x[::2], coarse.grids[0].x)
    doubled = fitted.scan(frame, stride=32)
    # every other window, then the one flush with the far edge (144 = 9 x 16)
    same = np.ix_([0, 2, 4, 6, 8, 9], [0, 2, 4, 6, 8, 9])
    assert np.allclose(doubled.grids[1].probabilities, coarse.grids[1].probabilities[same],
                       atol=1e-6)
    with pytest.raises(ValueError, match="stride must divide 16"):
        fitted.scan(frame, stride=12)


def test_scan_result_shapes_columns_and_maps(fitted, films):
    frame = films.frame.iloc[:4]
    result = fitted.scan(frame, max_candidates=3)
    assert len(result) == 4 and list(result.films) == list(frame["film"])
    assert result.scores.shape == (4, 3)
    assert list(result.candidates.columns[:9]) == ["film", "x", "y", "class", "score",
                                                  "x0", "y0", "x1", "y1"]
    assert result.candidates.groupby("film").size().max() <= 3
    assert set(result.candidates["class"]) <= {1, 2}
    assert list(result.to_frame().columns) == ["film", "0", "1", "2"]
    grid = result.grids[0]
    full = result.maps[0]
    assert full.shape == (256, 256, 3) and full.dtype == np.float32
    # The map is bilinear between window centres, clamped beyond the outermost ones.
    from scipy.interpolate import RegularGridInterpolator

    rows, cols = np.mgrid[0:256, 0:256]
    points = np.stack([np.clip(rows, grid.y[0], grid.y[-1]),
                       np.clip(cols, grid.x[0], grid.x[-1])], axis=-1)
    expected = RegularGridInterpolator((grid.y, grid.x), grid.probabilities)(points)
    assert np.allclose(full, expected, atol=1e-5)
    assert np.allclose(full[0, 0], grid.probabilities[0, 0], atol=1e-6)
    assert np.allclose(full[-1, -1], grid.probabilities[-1, -1], atol=1e-6)
    assert len(result.maps[1:3]) == 2
    # Window centres stay half a window inside the film (windows never padded).
    assert grid.x[0] >= grid.side / 2 - 1 and grid.x[-1] <= 256 - grid.side / 2


def test_frame_without_annotation_scans_the_same(fitted, films):
    frame = films.frame.iloc[:2]
    bare = frame.drop(columns=["x", "y", "radius", "severity", "abnormality"])
    a, b = fitted.scan(frame), fitted.scan(bare)
    assert np.array_equal(a.scores, b.scores)
    pd.testing.assert_frame_equal(a.candidates, b.candidates)


def test_score_rule_is_top_k_mean_inside_the_breast(fitted, films):
    result = fitted.scan(films.frame.iloc[:2], top_k=4)
    grid = result.grids[0]
    inside = grid.probabilities[grid.inside]
    assert 0 < len(inside) < grid.inside.size
    assert np.isclose(result.scores[0, 2], np.sort(inside[:, 2])[-4:].mean())
    assert np.isclose(result.scores[0, 0], np.sort(inside[:, 0])[:4].mean())


def _brightness_network(model):
    """Hand-set weights: the malignant logit grows with the brightness at the window's centre.

    A deterministic construction (no training): every convolution passes
    its grey input on through one channel, and the first dense layer reads
    the centre of the last feature map.
    """
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        kernel = np.zeros_like(weights[0])
        bias = np.zeros_like(weights[1])
        if layer.name.startswith("conv"):
            k = kernel.shape[0] // 2
            kernel[k, k, :, 0] = 1.0 / kernel.shape[2] if layer.name == "conv1" else 1.0
        elif layer.name == "dense1":
            rows, cols, channels = model.get_layer("flatten").input.shape[1:]
            kernel.reshape(rows, cols, channels, -1)[rows // 2, cols // 2, 0, 0] = 1.0
        elif layer.name in ("dense2", "dense3"):
            kernel[0, 0] = 1.0
        elif layer.name == "logits":
            kernel[0, 2] = 40.0
            bias[:] = [0.0, -20.0, -30.0]
        layer.set_weights([kernel, bias])
    return model


def test_lesion_film_has_its_maximum_near_the_lesion():
    data = make_synthetic_mammograms(16, image_size=256, random_state=3)
    pipe = make_pipeline(size=64, epochs=1, validation_fraction=0, random_state=0)
    pipe.fit(data.frame, data.target)  # the weights are then set by hand
    _brightness_network(pipe[-1].model_)
    lesions = data.frame[data.target > 0]
    result = pipe.scan(lesions, max_candidates=1)
    top = result.candidates.set_index("film")
    frame = lesions.set_index("film")
    distance = np.hypot(top["x"] - frame["x"], top["y"] - frame["y"])
    # Within the lesion's radius plus one scan step (16 px) of the true centre, on every film.
    assert (distance <= frame["radius"] + 16).all(), distance.round(1).tolist()


def test_refusals(films):
    frame = films.frame.iloc[:2]
    with pytest.raises(ValueError, match="mode='native'"):
        make_pipeline(size=SIZE, mode="native").scan(frame)
    with pytest.raises(ValueError, match="mode='study'"):
        make_pipeline(size=SIZE, mode="study").scan(frame)
    with pytest.raises(NotFittedError, match="call fit before scan"):
        make_pipeline(size=SIZE).scan(frame)


def test_two_films_with_one_id_and_bad_candidate_rules_are_refused(fitted, films):
    twins = films.frame.iloc[:2].assign(film="f1")  # two folders' f1.png, say
    with pytest.raises(ValueError, match=r"share the film id\(s\) \['f1'\]"):
        fitted.scan(twins)
    for name, value in (("min_distance", -5), ("min_distance", np.nan), ("min_score", np.nan),
                        ("min_score", 1.5), ("min_score", True)):
        with pytest.raises(ValueError, match=f"{name} must be a number"):
            fitted.scan(films.frame.iloc[:1], **{name: value})


def test_film_smaller_than_one_window_is_refused(fitted):
    small = make_synthetic_mammograms(1, image_size=64, random_state=0).frame
    small["pixel_mm"] = 0.4  # the 51.2-mm window is 128 pixels: larger than the 64-pixel film
    with pytest.raises(ValueError, match="syn0001.*smaller than one 128-pixel window"):
        fitted.scan(small)
    with pytest.raises(TypeError, match="mammogram frame"):
        fitted.scan(np.zeros((2, 64, 64), np.uint8))


def test_films_on_disk_in_threads_and_repeated_rows_scan_the_same(fitted, films, tmp_path):
    in_memory = fitted.scan(films.frame.iloc[:3])
    on_disk = make_synthetic_mammograms(30, image_size=256, random_state=0,
                                        directory=tmp_path).frame.iloc[:3]
    by_reference = fitted.scan(on_disk, n_jobs=2)
    assert np.allclose(by_reference.scores, in_memory.scores, atol=1e-6)
    # Two rows of one film (two lesions, say) are one film to the scan.
    repeated = fitted.scan(films.frame.iloc[[0, 0, 1]])
    assert list(repeated.films) == list(films.frame["film"].iloc[:2])
    assert np.allclose(repeated.scores, in_memory.scores[:2], atol=1e-6)


def test_a_recalibrated_model_scans_with_recalibrated_windows(films):
    import warnings

    from skmammo.evaluation import HeldOutCalibration

    more = make_synthetic_mammograms(60, image_size=256, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few calibration rows: the fallback
        model = HeldOutCalibration(make_pipeline(size=SIZE, epochs=1, random_state=0),
                                   calibration_fraction=0.4, random_state=0)
        model.fit(more.frame, more.target)
    frame = films.frame.iloc[:2]
    calibrated = model.scan(frame)
    own = model.estimator_.scan(frame)
    assert calibrated.calibrated and not own.calibrated
    for mine, theirs in zip(calibrated.grids, own.grids):
        flat = theirs.probabilities.reshape(-1, theirs.probabilities.shape[-1])
        np.testing.assert_allclose(
            mine.probabilities.reshape(flat.shape), model.recalibrate(flat), atol=1e-5)
    # recalibration and predict_proba agree on the crops the pipeline cuts
    np.testing.assert_allclose(model.predict_proba(frame),
                               model.recalibrate(model.estimator_.predict_proba(frame)),
                               atol=1e-6)
    assert not model.set_params(calibrated=False).scan(frame).calibrated
