"""Denoiser, CLAHE, ROICropper: the scikit-learn contract and input checks (synthetic films)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags

from skmammo.datasets import make_synthetic_mammograms
from skmammo.preprocessing import CLAHE, Denoiser, ROICropper, as_uint8

ALL = [Denoiser, CLAHE, ROICropper]


@pytest.fixture(scope="module")
def frame():
    data = make_synthetic_mammograms(12, image_size=128, random_state=0).data
    # Two rows of one film, as a lesion frame has them.
    extra = data.iloc[[0]].copy()
    extra.index = [100]
    return pd.concat([data, extra])


@pytest.mark.parametrize("cls", ALL)
def test_clone_params_and_pickle(cls, frame):
    est = cls(n_jobs=2)
    params = est.get_params()
    assert params["n_jobs"] == 2
    twin = clone(est)
    assert twin is not est and twin.get_params() == params
    est.set_params(verbose=0)
    assert est.fit(frame) is est
    again = pickle.loads(pickle.dumps(est))
    out, back = est.transform(frame), again.transform(frame)
    if isinstance(out, pd.DataFrame):
        for a, b in zip(out["image"], back["image"]):
            np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_array_equal(out, back)
    assert get_tags(est).requires_fit is (cls is ROICropper)  # window mode learns in fit


@pytest.mark.parametrize("cls", ALL)
def test_bad_parameters_raise_in_fit_not_init(cls, frame):
    bad = {Denoiser: {"mode": "magic"}, CLAHE: {"clip_limit": -1},
           ROICropper: {"mode": "zoom"}}[cls]
    est = cls(**bad)  # __init__ only stores
    with pytest.raises(ValueError, match=list(bad)[0]):
        est.fit(frame)


@pytest.mark.parametrize("cls", [Denoiser, CLAHE])
def test_frame_in_frame_out_never_in_place(cls, frame):
    before = [im.copy() for im in frame["image"]]
    out = cls().fit_transform(frame)
    assert isinstance(out, pd.DataFrame) and out.index.equals(frame.index)
    assert list(out.columns) == list(frame.columns)
    for a, b in zip(frame["image"], before):
        np.testing.assert_array_equal(a, b)
    # Rows of one film still share one (new, read-only) array.
    assert out["image"].iloc[0] is out["image"].loc[100]
    assert out["image"].iloc[0] is not frame["image"].iloc[0]
    assert not out["image"].iloc[0].flags.writeable
    pd.testing.assert_frame_equal(out.drop(columns="image"), frame.drop(columns="image"))


@pytest.mark.parametrize("cls", [Denoiser, CLAHE])
def test_stack_and_list_inputs(cls, frame):
    stack = np.stack(list(frame["image"].iloc[:4]))
    out = cls().fit_transform(stack)
    assert isinstance(out, np.ndarray) and out.shape == stack.shape and out.dtype == np.uint8
    listed = cls().fit_transform(list(stack))
    assert isinstance(listed, list)
    for a, b in zip(out, listed):
        np.testing.assert_array_equal(a, b)
    framed = cls().fit_transform(frame.iloc[:4])
    for a, b in zip(out, framed["image"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", ALL)
def test_n_jobs_gives_the_same_result(cls, frame):
    one = cls(n_jobs=1).fit_transform(frame)
    two = cls(n_jobs=2).fit_transform(frame)
    if isinstance(one, pd.DataFrame):
        one, two = np.stack(list(one["image"])), np.stack(list(two["image"]))
    np.testing.assert_array_equal(one, two)


def test_the_three_chain_in_a_pipeline(frame):
    pipe = make_pipeline(Denoiser(), CLAHE(), ROICropper(size=48))
    crops = pipe.fit_transform(frame)
    assert crops.shape == (len(frame), 48, 48) and crops.dtype == np.uint8
    assert clone(pipe).get_params()["roicropper__size"] == 48


def test_denoiser_blacks_out_a_label_and_keeps_the_breast():
    film = np.zeros((256, 256), np.uint8)
    film[30:230, :130] = 110
    film[150:170, 60:80] = 200            # a bright lesion inside: kept
    film[10:30, 200:240] = 255            # a label far from the breast: removed
    film += np.random.default_rng(0).integers(0, 8, film.shape, dtype=np.uint8)  # noise
    for mode in ("native", "study"):
        clean = Denoiser(mode=mode).fit_transform([film])[0]
        np.testing.assert_array_equal(clean[30:230, :125], film[30:230, :125])
        assert clean[200:, 200:].max() == 0, mode        # background noise gone
    assert Denoiser().fit_transform([film])[0][10:30, 200:240].max() == 0


@pytest.mark.parametrize(("method", "mode"), [("breast", "native"), ("study", "study")])
def test_denoiser_old_parameter_name_still_works_with_a_future_warning(method, mode):
    film = np.zeros((64, 64), np.uint8)
    film[10:50, :30] = 110
    with pytest.warns(FutureWarning, match="method= was renamed mode=.*0.3"):
        old = Denoiser(method=method).fit_transform([film])[0]
    np.testing.assert_array_equal(old, Denoiser(mode=mode).fit_transform([film])[0])


def test_denoiser_median_filter():
    film = np.full((64, 64), 100, np.uint8)
    film[32, 32] = 255                   # salt
    clean = Denoiser(median=3).fit_transform([film])[0]
    assert clean[32, 32] == 100
    with pytest.raises(ValueError, match="median"):
        Denoiser(median=4).fit([film])


def test_clahe_equals_opencv(frame):
    import cv2

    film = frame["image"].iloc[0]
    out = CLAHE(clip_limit=3.0, tile_grid_size=(4, 6)).fit_transform([film])[0]
    np.testing.assert_array_equal(out, cv2.createCLAHE(3.0, (4, 6)).apply(film))


@pytest.mark.parametrize("cls", ALL)
def test_image_errors_name_the_film(cls, frame):
    bad = frame.copy()
    bad["image"] = [im if i != 2 else np.zeros((8, 8, 3), np.uint8)
                    for i, im in enumerate(frame["image"])]
    film = frame["film"].iloc[2]
    with pytest.raises(ValueError, match=f"{film}.*2-D"):
        cls().fit_transform(bad)
    bad["image"] = [im if i != 2 else im.astype(np.float32)
                    for i, im in enumerate(frame["image"])]
    with pytest.raises(TypeError, match=f"{film}.*float32.*uint8"):
        cls().fit_transform(bad)
    with pytest.raises(TypeError, match="DataFrame"):
        cls().fit_transform("not films")


@pytest.mark.parametrize("cls", ALL)
def test_missing_column(cls, frame):
    with pytest.raises(ValueError, match="image"):
        cls().fit_transform(frame.drop(columns="image"))


def test_uint16_films_are_rescaled_by_their_maximum(frame):
    film8 = frame["image"].iloc[0]
    film16 = (film8.astype(np.uint16) * 16)          # a 12-bit scan
    expected = np.rint(film8 * (255.0 / film8.max())).astype(np.uint8)
    np.testing.assert_array_equal(as_uint8(film16), expected)
    assert as_uint8(np.zeros((9, 9), np.uint16)).max() == 0
    np.testing.assert_array_equal(CLAHE().fit_transform([film16])[0],
                                  CLAHE().fit_transform([as_uint8(film16)])[0])


def test_roicropper_row_errors(frame):
    lesion = frame.index[frame["x"].notna()][0]
    film = frame.loc[lesion, "film"]
    for column, value, pattern in [
        ("radius", np.nan, "positive radius"),
        ("radius", 0.0, "positive radius"),
        ("x", 1e6, "outside"),
        ("y", -3.0, "outside"),
        ("x", np.nan, "only one of x"),
    ]:
        bad = frame.copy()
        bad.loc[lesion, column] = value
        with pytest.raises(ValueError, match=f"{film}.*{pattern}|{pattern}"):
            ROICropper().fit_transform(bad)
        with pytest.raises(ValueError, match=film):
            ROICropper().fit_transform(bad)


@pytest.mark.parametrize("mode", ["native", "study"])
def test_roicropper_boxes_are_a_pure_function_of_the_frame(mode, frame):
    cropper = ROICropper(size=32, mode=mode)
    state = dict(vars(cropper))
    boxes = cropper.crop_boxes(frame)
    crops = cropper.fit_transform(frame)
    assert vars(cropper) == state               # no hidden state, after transform either
    assert crops.shape == (len(frame), 32, 32) and crops.dtype == np.uint8
    both = cropper.crop(frame)
    np.testing.assert_array_equal(both.boxes, boxes)
    np.testing.assert_array_equal(both.images, crops)
    assert list(both.to_frame().columns) == ["x0", "y0", "x1", "y1"] and len(both) == len(frame)
    np.testing.assert_array_equal(cropper.crop_boxes(frame.iloc[::-1]), boxes[::-1])
    assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])


def test_roicropper_native_geometry_and_padding():
    film = np.zeros((200, 300), np.uint8)
    film[:, :150] = np.arange(150, dtype=np.uint8)[None, :] + 50
    frame = pd.DataFrame({"image": [film, film, film], "x": [10.0, 100.0, np.nan],
                          "y": [5.0, 100.0, np.nan], "radius": [4.0, 60.0, np.nan],
                          "film": ["a", "a", "a"]})
    cropper = ROICropper(size=64, mode="native", min_side=40, normal_side=50, context=1.5)
    # sides 40, 180 and 50 become 41, 181 and 51: the centre pixel is the middle one
    cut = cropper.fit(frame).crop(frame)
    crops, boxes = cut.images, cut.boxes
    # small lesion: min_side square centred on it, padded where it leaves the film
    np.testing.assert_array_equal(boxes[0], [-10, -15, 31, 26])
    assert crops[0][:20].max() == 0       # the padded rows above the film are black
    # large lesion: side = 1.5 * diameter
    np.testing.assert_array_equal(boxes[1], [10, 10, 191, 191])
    # normal: centred inside the tissue (left half)
    x0, y0, x1, y1 = boxes[2]
    assert x1 - x0 == 51 and (x0 + x1) / 2 < 150 and crops[2].min() > 0


def test_roicropper_study_geometry():
    import cv2

    film = np.random.default_rng(0).integers(60, 200, (1024, 1024), dtype=np.uint8)
    frame = pd.DataFrame({"image": [film], "x": [500.0], "y": [400.0], "radius": [3.0]})
    cropper = ROICropper(mode="study")
    crop = cropper.fit_transform(frame)[0]
    box224 = cropper.crop_boxes(frame)[0] * 224 / 1024
    np.testing.assert_allclose(box224, [108, 86, 110, 88])   # a 2-pixel box, blown up to 224
    small = cv2.resize(film, (224, 224), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_array_equal(crop, cv2.resize(small[86:88, 108:110], (224, 224),
                                                   interpolation=cv2.INTER_LINEAR))
    assert len(np.unique(crop)) < 100     # a blur of four pixels


def test_roicropper_study_normal_crop_steps_to_tissue():
    film = np.zeros((1024, 1024), np.uint8)
    film[:, :300] = 90                     # tissue on the left only: the centre is black
    frame = pd.DataFrame({"image": [film], "x": [np.nan], "y": [np.nan], "radius": [np.nan]})
    cropper = ROICropper(mode="study", size=56)
    crop = cropper.fit_transform(frame)[0]
    x0, y0, x1, y1 = cropper.crop_boxes(frame)[0] * 224 / 1024
    assert (x1 - x0, y1 - y0) == (56, 56) and x0 < 300 * 224 / 1024
    assert crop[28, 28] > 0


def test_preprocessing_does_not_import_tensorflow_or_matplotlib():
    code = ("import sys, skmammo.preprocessing; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    assert out.strip() == "[]"


def test_plot_steps_builds_the_figure(frame):
    from skmammo.preprocessing import plot_steps

    row = frame.index[frame["x"].notna()][0]
    fig = plot_steps(frame.loc[[row]], size=64)
    assert len(fig.axes) == 5
    assert fig.axes[3].images[0].get_array().shape == (64, 64)
    assert len(fig.axes[2].patches) == 2
    with pytest.raises(ValueError, match="one sample"):
        plot_steps(frame)


def test_grid_search_over_preprocessing_parameters(frame):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.preprocessing import FunctionTransformer

    y = np.arange(len(frame)) % 2
    pipe = make_pipeline(Denoiser(), CLAHE(), ROICropper(size=16),
                         FunctionTransformer(lambda a: a.reshape(len(a), -1) / 255.0),
                         LogisticRegression(max_iter=200))
    grid = {"roicropper__mode": ["native", "study"], "clahe__clip_limit": [1.0, 2.0],
            "denoiser__mode": ["native", "study"]}
    search = GridSearchCV(pipe, grid, cv=2, error_score="raise").fit(frame, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_estimator_.predict(frame.iloc[:3]).shape == (3,)


class _Result:
    boxes = None
    films = None


class _Explaining(ClassifierMixin, BaseEstimator):
    """A last step that records the crops it is asked to explain (no network)."""

    def fit(self, X, y):
        return self

    def explain(self, X, method="gradcam", **kwargs):
        self.seen_ = X
        return _Result()


def test_mammo_pipeline_explain_gets_the_boxes_of_the_rows(frame):
    from skmammo.pipeline import MammoPipeline

    pipe = MammoPipeline([("denoise", Denoiser()), ("clahe", CLAHE()),
                          ("crop", ROICropper(size=24)), ("cnn", _Explaining())])
    pipe.fit(frame, np.zeros(len(frame), int))
    part = frame.iloc[[3, 0, 5]]
    result = pipe.explain(part)
    assert pipe.named_steps["cnn"].seen_.shape == (3, 24, 24)
    expected = pipe["crop"].crop_boxes(CLAHE().transform(Denoiser().transform(part)))
    np.testing.assert_array_equal(result.boxes, expected)
    np.testing.assert_array_equal(result.films, part["film"])


@pytest.mark.parametrize("module", ["preprocessing._clahe", "preprocessing._denoise",
                                    "preprocessing._resize", "preprocessing._roi",
                                    "preprocessing._figure", "utils._validation", "utils._io",
                                    "datasets._films"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"skmammo.{module}"))
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------- FilmResizer
def test_film_resizer_scales_films_and_annotations_never_in_place(frame):
    import cv2

    from skmammo.preprocessing import FilmResizer

    before = frame.copy()
    resizer = FilmResizer(side=64)
    assert resizer.fit(frame) is resizer and get_tags(resizer).requires_fit is False
    out = resizer.transform(frame)
    pd.testing.assert_frame_equal(frame.drop(columns="image"), before.drop(columns="image"))
    assert list(out.index) == list(frame.index)
    for film, small in zip(frame["image"], out["image"]):
        np.testing.assert_array_equal(small, cv2.resize(film, (64, 64),
                                                        interpolation=cv2.INTER_LINEAR))
        assert not small.flags.writeable
    assert out["image"].iloc[0] is out["image"].loc[100]  # rows of one film share it
    np.testing.assert_allclose(out[["x", "y", "radius"]], frame[["x", "y", "radius"]] * 0.5)
    np.testing.assert_allclose(out[["scale_x", "scale_y"]], 0.5)
    assert "scales_" not in vars(resizer)        # the frame carries the factors, not the step
    twice = FilmResizer(side=32).transform(out)  # chained resizers multiply their factors
    np.testing.assert_allclose(twice[["scale_x", "scale_y"]], 0.25)
    stack = resizer.transform(np.stack(list(frame["image"])[:3]))
    assert stack.shape == (3, 64, 64)
    with pytest.raises(ValueError, match="side"):
        FilmResizer(side=2).fit(frame)
    again = pickle.loads(pickle.dumps(clone(resizer))).transform(frame)
    np.testing.assert_array_equal(again["image"].iloc[3], out["image"].iloc[3])


def test_film_resizer_reads_films_on_disk_once_and_keeps_them_small(tmp_path):
    from skmammo.preprocessing import FilmResizer

    on_disk = make_synthetic_mammograms(4, image_size=96, random_state=1,
                                        directory=tmp_path).data
    in_memory = make_synthetic_mammograms(4, image_size=96, random_state=1).data
    a = FilmResizer(side=48).transform(Denoiser().transform(on_disk))
    b = FilmResizer(side=48, n_jobs=2).transform(Denoiser().transform(in_memory))
    assert "path" not in a.columns and "pending" not in a.columns
    for x, y in zip(a["image"], b["image"]):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_allclose(a[["x", "y", "radius"]], b[["x", "y", "radius"]])


def test_study_pipeline_resizes_first_and_explain_puts_boxes_on_the_films(frame):
    from skmammo.pipeline import make_pipeline as make_mammo_pipeline
    from skmammo.preprocessing import FilmResizer

    pipe = make_mammo_pipeline(mode="study", size=32)
    assert [n for n, _ in pipe.steps] == ["resize", "denoise", "clahe", "crop", "cnn"]
    assert isinstance(pipe.named_steps["resize"], FilmResizer)
    assert pipe.named_steps["denoise"].mode == "study"
    assert pipe.named_steps["crop"].mode == "study"
    pipe.set_params(cnn=_Explaining()).fit(frame, np.zeros(len(frame), int))
    result = pipe.explain(frame)
    boxes = np.asarray(result.boxes)
    lesions = frame["x"].notna().to_numpy()
    assert lesions.sum() >= 3
    # boxes are in the 128-pixel films' pixels: the lesion centre is the box
    # centre to within one pixel of the 224-pixel working scale
    centre_x = (boxes[lesions, 0] + boxes[lesions, 2]) / 2
    centre_y = (boxes[lesions, 1] + boxes[lesions, 3]) / 2
    step = 128 / 224
    assert np.abs(centre_x - frame["x"][lesions]).max() <= 1.5 * step
    assert np.abs(centre_y - frame["y"][lesions]).max() <= 1.5 * step
    assert boxes.max() <= 128 and boxes.min() >= 0
    with pytest.raises(ValueError, match="mode"):
        make_mammo_pipeline(mode="zoom")


@pytest.mark.parametrize("value, closed, ok", [
    (0.0, "both", True), (0.0, "right", False), (1.0, "left", False), (1.0, "right", True),
    (0.5, "neither", True), (float("nan"), "both", False), (True, "both", False),
    ("0.5", "both", False), (None, "both", False), (np.float32(0.25), "neither", True)])
def test_check_interval_holds_its_ends(value, closed, ok):
    from skmammo.utils import check_interval

    if ok:
        assert check_interval(value, "p", 0, 1, closed=closed) == float(value)
    else:
        with pytest.raises(ValueError, match="p must be a number in"):
            check_interval(value, "p", 0, 1, closed=closed)
    assert check_interval(None, "p", 0, none="the default") is None
    with pytest.raises(ValueError, match=r"p must be a number > 0 or None \(the default\)"):
        check_interval(0, "p", 0, closed="neither", none="the default")
