"""HiResCAM, LayerCAM and occlusion sensitivity; localization against the baseline maps.

HiResCAM and LayerCAM are checked against a per-image ``tf.GradientTape``
computed here; occlusion against the network's own probabilities of
hand-occluded crops; the baseline maps against their known values.
"""

from __future__ import annotations

import numpy as np
import pytest
from cam_geometry import cam_on_crop
from test_explain import SIZE, make_blobs, small_model

from skmammo.explain import explain, get_explainer, metrics


@pytest.fixture(scope="module")
def model():
    import keras

    X, y, *_ = make_blobs(120, seed=7)
    keras.utils.set_random_seed(3)
    net = small_model(seed=3)
    net.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    net.fit(X, y, epochs=4, batch_size=32, verbose=0)
    return net


@pytest.fixture(scope="module")
def crops():
    return make_blobs(6, seed=8)


def tape_reference(model, X, kind):
    """The CAM of every image alone, by tf.GradientTape (independent of skmammo's graph)."""
    import keras
    import tensorflow as tf

    from skmammo.explain._gradcam import find_last_conv

    conv = find_last_conv(model)
    sub = keras.Model(model.input, [conv.output, model.get_layer("logits").output])
    out = []
    for img in X:
        x = tf.constant(img[None].astype(np.float32))
        with tf.GradientTape() as tape:
            acts, logits = sub(x, training=False)
            score = logits[0, int(np.argmax(model(x, training=False)[0]))]
        g = tape.gradient(score, acts)[0].numpy()
        a = acts[0].numpy()
        w = g if kind == "hirescam" else np.maximum(g, 0)
        cam = np.maximum((w * a).sum(axis=-1), 0)
        cam = cam_on_crop(cam, img.shape)
        out.append(cam / cam.max() if cam.max() > 0 else cam)
    return np.array(out)


@pytest.mark.parametrize("kind", ["hirescam", "layercam"])
def test_elementwise_cams_equal_a_per_image_gradient_tape(model, crops, kind):
    X = crops[0]
    e = explain(model, X, kind, batch_size=4)  # two graph calls: 4 + 2 images
    assert e.method == kind and e.heatmaps.shape == X.shape
    np.testing.assert_allclose(e.heatmaps, tape_reference(model, X, kind), atol=2e-5)
    assert not e.empty.all()
    lit = ~e.empty
    np.testing.assert_allclose(e.heatmaps[lit].max(axis=(1, 2)), 1.0, atol=1e-6)
    assert e.heatmaps.min() >= 0
    # every class at once: the same maps as one class at a time
    every = explain(model, X, kind, target="all")
    assert every.heatmaps.shape == (len(X), 3, SIZE, SIZE)
    np.testing.assert_allclose(every.heatmaps[:, 2], explain(model, X, kind, target=2).heatmaps,
                               atol=1e-6)
    # HiResCAM weighs place by place: it is not Grad-CAM's per-channel average
    assert not np.allclose(e.heatmaps, explain(model, X, "gradcam").heatmaps, atol=1e-3)


def test_new_methods_are_registered_for_everything_that_reads_the_registry(model, crops):
    from skmammo.reporting import figures

    X = crops[0][:2]
    for name, label, signed in [("hirescam", "HiResCAM", False), ("layercam", "LayerCAM", False),
                                ("occlusion", "Occlusion", True)]:
        spec = get_explainer(name.upper())
        assert (spec.name, spec.label, spec.signed, spec.stochastic) == (name, label, signed, False)
        assert spec.cmap == ("RdBu_r" if signed else "jet") and spec.description
        e = explain(model, X, name, **({"patch_size": 16} if signed else {}))
        assert e.overlay(0).shape == (SIZE, SIZE, 3)
        assert figures.explanation_figure(X[0], e.heatmaps[0], name,
                                          label=spec.label).startswith("data:image/png")
    import skmammo.explain as ex

    assert ex.hirescam is get_explainer("hires-cam").load()


def test_occlusion_is_the_probability_drop_of_the_hidden_patches(model, crops):
    from skmammo.explain._model import predict_fn

    X = crops[0][:2]
    e = explain(model, X, "occlusion", target=1, patch_size=16, stride=8, baseline="mean")
    assert e.heatmaps.shape == X.shape and e.params["patch_size"] == 16
    assert e.params["stride"] == 8 and e.targets.tolist() == [1, 1]
    predict = predict_fn(model)
    p = predict(X)[:, 1]

    def drop(i, r, c):
        img = X[i].astype(np.float32)
        img[r:r + 16, c:c + 16] = X[i].mean()
        return p[i] - predict(img[None])[0, 1]

    # pixel (0, 0): one patch covers it; pixel (10, 20): four patches (rows 0, 8; cols 8, 16)
    np.testing.assert_allclose(e.heatmaps[0, 0, 0], drop(0, 0, 0), atol=1e-5)
    four = np.mean([drop(1, r, c) for r in (0, 8) for c in (8, 16)])
    np.testing.assert_allclose(e.heatmaps[1, 10, 20], four, atol=1e-5)
    # signed, in units of the class probability, every class in one pass
    every = explain(model, X, "occlusion", target="all", patch_size=16, stride=8)
    np.testing.assert_allclose(every.heatmaps[:, 1], e.heatmaps, atol=1e-6)
    np.testing.assert_allclose(every.heatmaps.sum(axis=1), 0, atol=1e-5)  # probabilities sum to 1
    with pytest.raises(ValueError, match="patch_size must be an int in 1..64"):
        explain(model, X, "occlusion", patch_size=65)
    with pytest.raises(ValueError, match=r"stride must be an int in 1..4 \(the patch size\)"):
        explain(model, X, "occlusion", patch_size=4, stride=10)  # pixels no patch covers


def test_baseline_maps_give_their_known_localization(model):
    X, *_ = make_blobs(8, seed=9)
    centre = np.full(8, (SIZE - 1) / 2)
    radius = np.full(8, 10.0)
    area_share = np.pi * 10.0**2 / SIZE**2
    result = metrics.compare_explainers(model, X, ("hirescam",), lesions=(centre, centre, radius),
                                        seeds=(0,), steps=3)
    table = result.table
    assert list(table.index) == ["hirescam", "centre_prior", "random_map"]
    prior, rand = table.loc["centre_prior"], table.loc["random_map"]
    # lesions at the crop centre: the centre prior wins pointing game and rank for free
    assert prior["pointing_game"] == 1.0 and prior["rank_accuracy"] == pytest.approx(1.0)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    disk = np.hypot(xx - centre[0], yy - centre[0]) <= 10
    g = metrics.centre_prior((SIZE, SIZE))
    assert prior["positive_share"] == pytest.approx(g[disk].sum() / g.sum())
    assert prior["positive_share"] > 2 * area_share
    # noise: its mass and rank are the lesion's share of the area
    assert rand["positive_share"] == pytest.approx(area_share, abs=0.01)
    assert rand["rank_accuracy"] == pytest.approx(area_share, abs=0.03)
    assert np.isnan(prior["seconds_per_image"]) and (table["n_lesions"] == 8).all()
    # a mask gives the same numbers as its circle
    mask = np.broadcast_to(disk, X.shape)
    e = result.explanations["hirescam"]
    by_circle = metrics.localization(e, centre, centre, radius)
    by_mask = metrics.localization(e, mask=mask)
    for key in ("pointing_game", "positive_share", "rank_accuracy"):
        assert by_mask[key] == pytest.approx(by_circle[key])
    np.testing.assert_allclose(by_mask.rank, by_circle.rank)
    with pytest.raises(ValueError, match="circles .* or mask="):
        metrics.localization(e)


def test_cam_cells_sit_at_their_receptive_field_centres():
    import keras
    import tensorflow as tf

    from skmammo.explain._placement import cell_placement, place_cam

    model = small_model(64)
    conv = model.get_layer("conv3")
    assert cell_placement(model, conv) == ((4.0, 7.5), (4.0, 7.5))
    # Interior cell 5 reads crop rows 16..39 (the gradient's support): centre 27.5 = 4 * 5 + 7.5.
    sub = keras.Model(model.input, conv.output)
    x = tf.Variable(np.random.default_rng(0).uniform(0, 255, (1, 64, 64)).astype(np.float32))
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(sub(x)[0, 5, 5])
    rows = np.flatnonzero(np.abs(tape.gradient(out, x).numpy()[0]).sum(axis=1))
    assert (rows.min() + rows.max()) / 2 == 4 * 5 + 7.5
    # Laid on the crop, a single lit cell peaks at its centre's pixels (27, 28), not where
    # stretching 13 cells over 64 pixels would put it (5.5 * 64 / 13 - 0.5 = 26.6).
    cam = np.zeros((1, 13, 13), np.float32)
    cam[0, 5, 5] = 1.0
    placed = place_cam(tf.constant(cam), 64, 64, cell_placement(model, conv)).numpy()[0]
    assert placed[27, 27] == placed[28, 28] == pytest.approx(0.875 ** 2)
    assert placed[0].max() == 0 and placed[:, 63].max() == 0
    # A layer whose geometry is not followed (a resize): the map is stretched, as a resize does.
    inputs = keras.Input((48, 48))
    x = keras.layers.Reshape((48, 48, 1))(inputs)
    x = keras.layers.Resizing(64, 64)(x)
    resized = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="c")(x))
    assert cell_placement(resized, resized.get_layer("c")) is None
    stretched = place_cam(tf.constant(cam), 64, 64, None).numpy()[0]
    reference = tf.image.resize(cam[..., None], (64, 64), method="bilinear").numpy()[0, ..., 0]
    np.testing.assert_allclose(stretched, reference, atol=1e-6)
