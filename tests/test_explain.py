"""Tests for skmammo.explain: Grad-CAM, LIME, Kernel SHAP, Explanation and metrics.

The network is the study's CNN at 64x64, trained for a few seconds on
synthetic crops whose class is decided by a bright blob at a random place:
nothing (normal), a smooth mass (benign), a cluster of calcifications
(malignant).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from cam_geometry import cam_on_crop

from skmammo.explain import Explanation, explain, metrics

SIZE = 64


def make_blobs(n: int, seed: int, size: int = SIZE, radius: float = 10.0):
    """Crops (n, size, size) uint8 with classes 0/1/2, lesion centres and radii (NaN for class 0).

    Dark noisy tissue; class 1 adds a smooth bright mass (a Gaussian blob),
    class 2 a cluster of 14 small bright dots (calcifications), both within
    ``radius`` pixels of a random centre.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(40, 4, (n, size, size))
    yy, xx = np.mgrid[:size, :size]
    cx = rng.uniform(16, size - 16, n)
    cy = rng.uniform(16, size - 16, n)
    for i in np.flatnonzero(y == 1):
        X[i] += 110 * np.exp(-((xx - cx[i]) ** 2 + (yy - cy[i]) ** 2) / (2 * (radius / 2) ** 2))
    for i in np.flatnonzero(y == 2):
        rr, th = radius * np.sqrt(rng.uniform(0, 1, 14)), rng.uniform(0, 2 * np.pi, 14)
        for dx, dy in zip(rr * np.cos(th), rr * np.sin(th)):
            X[i] += 150 * np.exp(-((xx - cx[i] - dx) ** 2 + (yy - cy[i] - dy) ** 2) / (2 * 1.2**2))
    r = np.where(y == 0, np.nan, radius)
    return np.clip(X, 0, 255).astype(np.uint8), y, cx, cy, r


def small_model(size: int = SIZE, seed: int = 0):
    """The study's CNN (paper_cnn); a small network with the same contract if it is missing."""
    try:
        from skmammo.models import paper_cnn
    except (ImportError, AttributeError):  # pragma: no cover - before the models package lands
        paper_cnn = None
    if paper_cnn is not None:
        return paper_cnn(input_shape=(size, size, 3), seed=seed)
    import keras
    from keras import layers

    inputs = keras.Input((size, size), name="crop")
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Reshape((size, size, 1))(x)
    x = layers.Conv2D(8, 3, activation="relu", name="conv1")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(16, 3, activation="relu", name="conv2")(x)
    x = layers.GlobalAveragePooling2D()(x)
    logits = layers.Dense(3, name="logits")(x)
    return keras.Model(inputs, layers.Activation("softmax", name="probabilities")(logits))


@pytest.fixture(scope="module")
def trained():
    import keras

    X, y, *_ = make_blobs(300, seed=101)
    keras.utils.set_random_seed(1)
    model = small_model(seed=1)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=20, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def test_set():
    return make_blobs(60, seed=1)


@pytest.fixture(scope="module")
def blob_set(test_set):
    """Eight test crops that do contain a blob."""
    X, y, cx, cy, r = test_set
    idx = np.flatnonzero(y > 0)[:8]
    return X[idx], y[idx], cx[idx], cy[idx], r[idx]


def reference_gradcam(model, image, target, layer="conv3", logits="logits"):
    """The textbook computation, one image at a time with a plain GradientTape."""
    import keras
    import tensorflow as tf

    sub = keras.Model(model.inputs, [model.get_layer(layer).output, model.get_layer(logits).output])
    x = tf.constant(image[None].astype(np.float32))
    with tf.GradientTape() as tape:
        acts, scores = sub(x)
        score = scores[0, target]
    grads = tape.gradient(score, acts)[0].numpy()
    acts = acts[0].numpy()
    cam = np.maximum((acts * grads.mean(axis=(0, 1))).sum(axis=-1), 0)
    cam = cam_on_crop(cam, image.shape, layer)
    return cam / cam.max() if cam.max() > 0 else cam


# ------------------------------------------------------------------ Grad-CAM
def test_network_learned_the_blobs(trained, test_set):
    X, y, *_ = test_set
    e = explain(trained, X, "gradcam")
    assert (e.predictions == y).mean() >= 0.95


def test_gradcam_points_into_the_blob(trained, test_set):
    X, y, cx, cy, r = test_set
    e = explain(trained, X, "gradcam")
    assert e.heatmaps.shape == X.shape and e.heatmaps.dtype == np.float32
    assert e.heatmaps.min() >= 0 and np.allclose(e.heatmaps.reshape(len(X), -1).max(axis=1)[~e.empty], 1)
    # pointing game with Zhang et al.'s tolerance (15 px at 224 px, 4 px here: less than
    # one cell of the 13x13 last convolutional layer)
    loc = metrics.localization(e, cx, cy, r, tolerance=4)
    assert loc["n_lesions"] == (y > 0).sum()
    assert loc["pointing_game"] >= 0.9
    # the lesion circle covers 8% of the crop
    assert loc["positive_share"] > 0.2


def test_gradcam_equals_per_image_gradient_tape(trained, test_set):
    X, y, *_ = test_set
    X = X[:7]
    e = explain(trained, X, "gradcam", batch_size=3)  # several batches, a ragged last one
    assert e.params["layer"] == "conv3"  # found automatically
    for i in range(len(X)):
        np.testing.assert_allclose(e.heatmaps[i], reference_gradcam(trained, X[i], e.targets[i]), atol=1e-5)
    np.testing.assert_array_equal(e.targets, e.predictions)
    e2 = explain(trained, X, "gradcam", target=0, layer="conv2")
    assert (e2.targets == 0).all()
    for i in range(3):
        np.testing.assert_allclose(e2.heatmaps[i], reference_gradcam(trained, X[i], 0, layer="conv2"), atol=1e-5)


def test_gradcam_probability_score_and_all_targets(trained, test_set):
    X = test_set[0][:4]
    e = explain(trained, X, "gradcam", target="all")
    assert e.heatmaps.shape == (4, 3, SIZE, SIZE)
    assert e.targets.shape == (4, 3) and e.empty.shape == (4, 3)
    for c in range(3):
        single = explain(trained, X, "gradcam", target=c)
        np.testing.assert_allclose(e.heatmaps[:, c], single.heatmaps, atol=1e-6)
    p = explain(trained, X, "gradcam", score="probability")
    assert p.params["score"] == "probability" and p.heatmaps.shape == X.shape
    assert np.isfinite(p.heatmaps).all()


def test_gradcam_all_zero_map_is_explicit():
    import keras
    from keras import layers

    inputs = keras.Input((16, 16))
    x = layers.Reshape((16, 16, 1))(inputs)
    x = layers.Conv2D(4, 3, activation="relu", kernel_initializer="zeros", name="conv")(x)
    x = layers.Flatten()(x)
    logits = layers.Dense(3, name="logits")(x)
    model = keras.Model(inputs, layers.Activation("softmax")(logits))
    e = explain(model, np.full((2, 16, 16), 100, np.uint8), "gradcam")
    assert e.empty.all()
    assert np.isfinite(e.heatmaps).all() and (e.heatmaps == 0).all()


def test_gradcam_deterministic_stability_is_one(trained, test_set):
    st = metrics.stability(trained, test_set[0][:5], "gradcam", seeds=(0, 1, 2))
    assert st["spearman"] == 1.0 and st["iou"] == 1.0


# ------------------------------------------------------------------- Kernel SHAP
def test_shap_additivity_and_seeding(trained, blob_set):
    X = blob_set[0][:2]
    state = np.random.get_state()[1].copy()
    a = explain(trained, X, "shap", random_state=0, n_samples=300, verbose=0)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # global RNG untouched
    b = explain(trained, X, "shap", random_state=0, n_samples=300, verbose=0)
    np.testing.assert_array_equal(a.heatmaps, b.heatmaps)
    assert a.segments.shape == X.shape
    for i in range(len(X)):
        w = a.segment_weights[i]
        assert w.shape == (a.segments[i].max() + 1,)
        np.testing.assert_allclose(w.sum(), a.probabilities[i, a.targets[i]] - a.base_values[i], atol=1e-4)
        np.testing.assert_allclose(a.heatmaps[i], w[a.segments[i]], atol=1e-6)
    c = explain(trained, X[:1], "shap", random_state=1, n_samples=300, verbose=0)
    assert not np.array_equal(a.heatmaps[:1], c.heatmaps)


def test_shap_single_segment_and_target_all(trained):
    flat = np.full((1, SIZE, SIZE), 90, np.uint8)
    e = explain(trained, flat, "shap", target="all", random_state=0, n_samples=50, verbose=0,
                baseline="zero", segmentation=lambda img: np.zeros(img.shape, int))
    assert e.heatmaps.shape == (1, 3, SIZE, SIZE) and e.segment_weights[0].shape == (3, 1)
    np.testing.assert_allclose(e.segment_weights[0][:, 0] + e.base_values[0], e.probabilities[0], atol=1e-5)


def test_shap_localizes_the_blob(trained, blob_set):
    X, y, cx, cy, r = blob_set
    e = explain(trained, X, "shap", random_state=0, n_samples=400, verbose=0)
    loc = metrics.localization(e, cx, cy, r)
    assert loc["pointing_game"] >= 0.75
    assert loc["positive_share"] >= 0.25


# ------------------------------------------------------------------------ LIME
def test_lime_seeded_and_localizes_the_blob(trained, blob_set):
    X, y, cx, cy, r = blob_set
    # superpixels scaled to the 64 px crop (the study's 100 SLIC segments are for 224 px)
    kw = dict(n_samples=300, segmentation="slic", segmentation_params={"n_segments": 40}, verbose=0)
    a = explain(trained, X, "lime", random_state=0, **kw)
    b = explain(trained, X, "lime", random_state=0, **kw)
    np.testing.assert_array_equal(a.heatmaps, b.heatmaps)
    assert a.segments.shape == X.shape and len(a.segment_weights) == len(X)
    loc = metrics.localization(a, cx, cy, r)
    assert loc["pointing_game"] >= 0.75
    assert loc["positive_share"] >= 0.25
    c = explain(trained, X[:2], "lime", random_state=1, **kw)
    assert not np.array_equal(a.heatmaps[:2], c.heatmaps)


def test_lime_quickshift_default_matches_plain_lime(trained, blob_set):
    """Same seed, same segments: the batched sampler reproduces lime's own data_labels."""
    from lime.lime_image import LimeImageExplainer
    from skimage.color import gray2rgb

    from skmammo.explain._model import predict_fn

    image = blob_set[0][0]
    e = explain(trained, image[None], "lime", target=1, random_state=0, n_samples=200, verbose=0)
    assert e.params["segmentation"] == "quickshift"
    seed = int(np.random.RandomState(0).randint(0, 2**31 - 1, size=1)[0])
    predict = predict_fn(trained)
    plain = LimeImageExplainer(random_state=np.random.RandomState(seed)).explain_instance(
        gray2rgb(image), lambda rgb: predict(rgb[..., 0]), labels=(1,), top_labels=None,
        num_samples=200, segmentation_fn=lambda _: e.segments[0], random_seed=seed % 1000,
    )
    plain_w = np.zeros(e.segments[0].max() + 1)
    for seg, w in plain.local_exp[1]:
        plain_w[seg] = w
    plain_w = np.asarray(plain_w)
    assert plain.segments.max() == e.segments[0].max()
    np.testing.assert_allclose(e.segment_weights[0], plain_w, atol=1e-5)


# --------------------------------------------------------------------- errors
def test_clear_errors(trained, test_set):
    X = test_set[0][:2]
    with pytest.raises(ValueError, match="unknown explanation method 'gradient'"):
        explain(trained, X, "gradient")
    with pytest.raises(ValueError, match=r"\(n, height, width\)"):
        explain(trained, X[0], "gradcam")
    with pytest.raises(ValueError, match="expects crops of 64x64"):
        explain(trained, np.zeros((2, 32, 32), np.uint8), "gradcam")
    with pytest.raises(ValueError, match="out of range: the model has 3 classes"):
        explain(trained, X, "gradcam", target=3)
    with pytest.raises(ValueError, match="out of range"):
        explain(trained, X, "lime", target=[0, -1])
    with pytest.raises(ValueError, match="one per image"):
        explain(trained, X, "shap", target=[0, 1, 2])
    with pytest.raises(ValueError, match="target must be None, 'all'"):
        explain(trained, X, "gradcam", target="predicted")
    with pytest.raises(ValueError, match="unknown parameter"):
        explain(trained, X, "lime", nsamples=10)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        explain(trained, X, "gradcam", layer="nope")
    with pytest.raises(ValueError, match="segmentation must be one of"):
        explain(trained, X, "lime", segmentation="watershed")
    with pytest.raises(ValueError, match="NaN"):
        explain(trained, np.full((1, SIZE, SIZE), np.nan), "gradcam")
    with pytest.raises(TypeError, match="keras.Model or a fitted MammoCNNClassifier"):
        explain(object(), X)


def test_estimator_with_fitted_model_attribute(trained, test_set):
    class Fitted:
        model_ = trained
        classes_ = np.arange(3)

    X = test_set[0][:3]
    np.testing.assert_array_equal(explain(Fitted(), X).heatmaps, explain(trained, X).heatmaps)


# --------------------------------------------------------------- Explanation
def test_explanation_overlay_to_film_and_subset(trained, test_set):
    X = test_set[0][:3]
    e = explain(trained, X, "gradcam")
    rgb = e.overlay(0)
    assert rgb.shape == (SIZE, SIZE, 3) and rgb.dtype == np.uint8
    assert "n=3" in repr(e)
    sub = e[1:]
    assert len(sub) == 2 and np.array_equal(sub.heatmaps, e.heatmaps[1:])
    with pytest.raises(ValueError, match="no crop boxes"):
        e.to_film(0, (100, 100))
    e.boxes = np.array([[10, 20, 74, 84], [-8, -8, 56, 56], [0, 0, 128, 128]])
    film = e.to_film(0, (100, 120))
    assert film.shape == (100, 120)
    np.testing.assert_allclose(film[20:84, 10:74], e.heatmaps[0], atol=1e-6)
    assert film[:20].sum() == 0 and film[:, :10].sum() == 0
    clipped = e.to_film(1, (100, 120))  # box reaching past the film's corner
    np.testing.assert_allclose(clipped[:56, :56], e.heatmaps[1][8:, 8:], atol=1e-6)
    assert e.to_film(2, (128, 128)).max() == pytest.approx(e.heatmaps[2].max(), abs=0.01)
    s = explain(trained, X[:1], "shap", random_state=0, n_samples=50, verbose=0)
    assert s.overlay(0).shape == (SIZE, SIZE, 3)


# ------------------------------------------------------------------- metrics
def test_localization_rules():
    h = np.zeros((3, 10, 10), np.float32)
    h[0, 2, 2] = 1.0  # maximum at x=2, y=2
    h[1, 8, 8] = 1.0
    e = Explanation("gradcam", h, np.zeros(3, int), np.tile([1.0, 0, 0], (3, 1)))
    loc = metrics.localization(e, [2, 2, 2], [2, 2, 2], [1.5, 1.5, np.nan])
    assert loc["n_lesions"] == 2 and loc["pointing_game"] == 0.5
    np.testing.assert_array_equal(loc["hit"][:2], [1, 0])
    assert np.isnan(loc["hit"][2]) and loc["share"][0] == 1.0 and loc["share"][1] == 0.0
    zero = Explanation("gradcam", np.zeros((1, 10, 10)), np.zeros(1, int), np.array([[1.0, 0, 0]]))
    assert metrics.localization(zero, [5], [5], [20])["pointing_game"] == 0.0
    # A plateau (a LIME / SHAP superpixel) touching the lesion: one maximal pixel is drawn,
    # so the hit rate is the plateau's share inside the lesion (4 of 64 here), not 1.
    plateau = np.zeros((400, 10, 10), np.float32)
    plateau[:, :8, :8] = 1.0
    flat = Explanation("lime", plateau, np.zeros(400, int), np.tile([1.0, 0, 0], (400, 1)))
    loc = metrics.localization(flat, [0.5] * 400, [0.5] * 400, [1.0] * 400, random_state=3)
    assert 0.02 < loc["pointing_game"] < 0.12          # 4 / 64 = 0.0625
    again = metrics.localization(flat, [0.5] * 400, [0.5] * 400, [1.0] * 400, random_state=3)
    np.testing.assert_array_equal(again["hit"], loc["hit"])
    cx, cy, cr = metrics.circles_in_crop(np.array([[100, 200, 164, 264]]), [132], [232], [8], (32, 32))
    # film pixel 132 covers crop edges 16..16.5: its centre is crop position 15.75
    np.testing.assert_allclose([cx[0], cy[0], cr[0]], [15.75, 15.75, 4])


def test_deletion_reads_tied_pixels_in_random_order():
    import keras

    # A network whose class 0 reads only the top 8 rows of a constant crop.
    side = 32
    crops = keras.Input((side, side))
    logits = keras.layers.Dense(3, name="logits")
    model = keras.Model(crops, keras.layers.Activation("softmax")(
        logits(keras.layers.Flatten()(crops))))
    weights = np.zeros((side * side, 3), np.float32)
    weights[: 8 * side, 0] = 0.2 / (8 * side)
    logits.set_weights([weights, np.array([0.0, 1.0, 1.0], np.float32)])
    X = np.full((4, side, side), 200, np.uint8)
    p = model.predict(X, verbose=0)

    def auc(maps, seed=0):
        e = Explanation("gradcam", maps.astype(np.float32), np.zeros(4, int), p, images=X)
        return metrics.deletion_auc(model, e, baseline="zero", random_state=seed).mean()

    perfect = np.zeros((4, side, side))
    perfect[:, :8] = 1.0
    empty = np.zeros((4, side, side))
    # An empty map is no ranking: it scores as a random one, not as the perfect map
    # it would equal if ties went row by row from the top.
    assert auc(empty) - auc(perfect) > 0.5 * (auc(metrics.random_map((4, side, side))) - auc(perfect))
    assert auc(empty, seed=1) == pytest.approx(auc(empty, seed=1))


def test_deletion_insertion_and_compare(trained, blob_set):
    X, y, cx, cy, r = blob_set
    e = explain(trained, X, "gradcam")
    deletion = metrics.faithfulness_curves(trained, e, steps=10)
    dele, curves = deletion.auc, deletion.curves
    np.testing.assert_array_equal(dele, metrics.deletion_auc(trained, e, steps=10))
    ins = metrics.insertion_auc(trained, e, steps=10)
    assert dele.shape == ins.shape == (len(X),) and curves.shape == (len(X), 11)
    np.testing.assert_allclose(curves[:, 0], e.probabilities[np.arange(len(X)), e.targets], atol=1e-5)
    assert ins.mean() > dele.mean()  # the blob pixels carry the class
    # a random map is less faithful than Grad-CAM
    rng = np.random.default_rng(0)
    rand = Explanation("random", rng.random(X.shape), e.targets, e.probabilities, images=X)
    assert metrics.deletion_auc(trained, rand, steps=10).mean() > dele.mean()

    params = {"lime": {"n_samples": 100, "segmentation": "slic"}, "shap": {"n_samples": 100}}
    radius = np.array(r[:4], dtype=float)
    radius[3] = np.nan  # a crop without an annotated lesion: not in the localization scores
    result = metrics.compare_explainers(
        trained, X[:4], lesions=(cx[:4], cy[:4], radius), seeds=(0, 1), steps=5,
        method_params=params,
    )
    table, firsts = result.table, result.explanations
    # the returned explanations are the first seed's, as a direct call gives them
    again = explain(trained, X[:4], "shap", random_state=0, verbose=0, **params["shap"])
    np.testing.assert_array_equal(firsts["shap"].heatmaps, again.heatmaps)
    assert set(firsts) == {"gradcam", "lime", "shap"}
    assert list(table.index) == ["gradcam", "lime", "shap", "centre_prior", "random_map"]
    assert table.loc["gradcam", "stability_spearman"] == 1.0
    methods = table.loc[["gradcam", "lime", "shap"]]
    assert (methods["seconds_per_image"] > 0).all() and (table["n_images"] == 4).all()
    # the baseline maps: scored on the same crops, neither timed nor repeated
    assert table.loc[["centre_prior", "random_map"], ["seconds_per_image", "stability_spearman"]].isna().all().all()
    assert (table["n_lesions"] == 3).all()
    assert table[["pointing_game", "positive_share", "rank_accuracy", "deletion_auc",
                  "insertion_auc"]].notna().all().all()


def test_import_stays_light():
    code = "import sys, skmammo.explain; print('tensorflow' in sys.modules, 'keras' in sys.modules, 'shap' in sys.modules, 'lime' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False", "False"]


def test_mammo_cnn_classifier_explain(test_set):
    """The real contract: MammoCNNClassifier.explain goes through skmammo.explain.explain."""
    from skmammo.models import MammoCNNClassifier

    X, y, *_ = test_set
    clf = MammoCNNClassifier(epochs=1, batch_size=16, patience=None, augment=False, balance=None,
                             random_state=0)
    with pytest.raises(ValueError, match="not fitted"):
        explain(clf, X[:2])
    clf.fit(X, y)
    e = clf.explain(X[:4], method="gradcam")
    np.testing.assert_allclose(e.probabilities, clf.predict_proba(X[:4]), atol=1e-5)
    np.testing.assert_array_equal(e.heatmaps, explain(clf.model_, X[:4]).heatmaps)
    s = clf.explain(X[:1], method="shap", target=2, random_state=0, n_samples=50, verbose=0)
    assert s.targets.tolist() == [2] and s.method == "shap"


def test_lime_target_all(trained, blob_set):
    X = blob_set[0][:2]
    e = explain(trained, X, "lime", target="all", random_state=0, n_samples=100,
                segmentation="slic", segmentation_params={"n_segments": 20}, verbose=0)
    assert e.heatmaps.shape == (2, 3, SIZE, SIZE) and e.targets.tolist() == [[0, 1, 2]] * 2
    assert e.segment_weights[0].shape == (3, e.segments[0].max() + 1)
    one = explain(trained, X, "lime", target=1, random_state=0, n_samples=100,
                  segmentation="slic", segmentation_params={"n_segments": 20}, verbose=0)
    np.testing.assert_allclose(e.heatmaps[:, 1], one.heatmaps, atol=1e-6)


def test_pipeline_explain_on_films():
    """MammoPipeline.explain: films in, heatmaps placed back on the films, metrics from the frame."""
    pytest.importorskip("skmammo.preprocessing")
    from skmammo.datasets import make_synthetic_mammograms
    from skmammo.pipeline import make_pipeline

    data = make_synthetic_mammograms(24, random_state=0)
    frame, y = data.frame, data.target
    pipe = make_pipeline(size=SIZE, epochs=1, random_state=0).fit(frame, y)
    part = frame.iloc[:4]
    e = pipe.explain(part, method="gradcam")
    assert e.heatmaps.shape == (4, SIZE, SIZE) and e.boxes.shape == (4, 4)
    assert list(e.films) == list(part["film"])
    film = part["image"].iloc[0]
    placed = e.to_film(0, film.shape)
    assert placed.shape == film.shape and placed.max() <= 1.0
    table = metrics.compare_explainers(pipe, part, methods=("gradcam",), seeds=(0, 1), steps=4).table
    assert table.loc["gradcam", "stability_spearman"] == 1.0
    if part["radius"].notna().any():
        assert np.isfinite(table.loc["gradcam", "pointing_game"])


def test_compare_explainers_keeps_the_per_image_values_it_averages():
    X, _, cx, cy, r = make_blobs(6, seed=3)
    model = small_model(seed=3)  # untrained: the averages are what is tested
    result = metrics.compare_explainers(model, X, ["gradcam", "hirescam"], lesions=(cx, cy, r),
                                        seeds=(0,))
    per = result.per_image
    assert set(per["method"]) == {"gradcam", "hirescam", "centre_prior", "random_map"}
    for method, row in result.table.iterrows():
        mine = per[per["method"] == method]
        assert len(mine) == 6 and list(mine["image"]) == list(range(6))
        for col in ("pointing_game", "positive_share", "rank_accuracy", "deletion_auc"):
            assert mine[col].mean() == pytest.approx(row[col], nan_ok=True), (method, col)
        assert mine["pointing_game"].isna().sum() == 2  # the two normal crops: no lesion
