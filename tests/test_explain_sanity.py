"""Sanity checks (Adebayo et al., 2018): a CAM of a trained network passes, an edge detector fails."""

from __future__ import annotations

import numpy as np
import pytest
from test_explain import make_blobs, small_model

from skmammo.explain import (
    ExplainerSpec,
    Explanation,
    random_logit_test,
    randomization_test,
    register_explainer,
    unregister_explainer,
)


@pytest.fixture(scope="module")
def trained():
    import keras

    X, y, *_ = make_blobs(120, seed=11)
    keras.utils.set_random_seed(5)
    net = small_model(seed=5)
    net.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    net.fit(X, y, epochs=5, batch_size=32, verbose=0)
    return net


@pytest.fixture(scope="module")
def crops():
    return make_blobs(9, seed=12)[0]


def edges(estimator, X, *, target=None, batch_size=64):
    """Sobel gradient magnitude of the crop: a map that never looks at the model."""
    from scipy import ndimage

    from skmammo.explain._model import predict_fn, resolve_model

    X = np.asarray(X)
    probs = predict_fn(resolve_model(estimator))(X)
    img = X.astype(np.float32)
    maps = np.hypot(ndimage.sobel(img, axis=1), ndimage.sobel(img, axis=2))
    targets = probs.argmax(axis=1) if target is None else np.broadcast_to(target, len(X))
    return Explanation("edges", maps, np.asarray(targets), probs, images=X)


@pytest.fixture
def edge_detector():
    spec = register_explainer(ExplainerSpec("edges", edges, label="Edges", signed=False,
                                            stochastic=False, cmap="gray"))
    yield spec
    unregister_explainer("edges")


def test_cascading_randomisation_lowers_a_cams_similarity(trained, crops, monkeypatch):
    import keras

    before = [w.copy() for w in trained.get_weights()]
    clones = []
    real_clone = keras.models.clone_model
    monkeypatch.setattr(keras.models, "clone_model",
                        lambda *a, **k: clones.append(1) or real_clone(*a, **k))
    check = randomization_test(trained, crops, "gradcam", random_state=0)
    table = check.to_frame()
    layers = [lyr.name for lyr in reversed(trained.layers) if lyr.trainable_weights]
    assert table["layer"].tolist() == layers and layers[0] == "logits"
    assert table["n_randomized"].tolist() == list(range(1, len(layers) + 1))
    assert (table["n_images"] == len(crops)).all()
    assert len(clones) == 1  # one copy for the whole cascade, randomised in place
    # the trained network is untouched
    for a, b in zip(before, trained.get_weights()):
        np.testing.assert_array_equal(a, b)
    # similarity falls as layers are randomised, and ends below the threshold
    assert table["spearman"].iloc[-1] < table["spearman"].iloc[0] < 0.9
    assert table["ssim"].iloc[-1] < 0.5 and (table["spearman_std"] >= 0).all()
    assert check.passed and check.verdict.startswith("gradcam passes")
    assert table["same_prediction"].iloc[-1] < 1.0  # the random network predicts otherwise
    # seeded
    again = randomization_test(trained, crops, "gradcam", random_state=0)
    np.testing.assert_allclose(again.table["spearman"], table["spearman"])
    other = randomization_test(trained, crops, "gradcam", random_state=1, layers=["logits"])
    assert other.table["layer"].tolist() == ["logits"]


def test_an_explainer_that_ignores_the_model_fails_both_checks(trained, crops, edge_detector):
    check = randomization_test(trained, crops, "edges")
    assert np.allclose(check.table["spearman"], 1.0) and np.allclose(check.table["ssim"], 1.0)
    assert not check.passed and "fails the model randomization test" in check.verdict
    logit = random_logit_test(trained, crops, "edges")
    assert not logit.passed and np.allclose(logit.table["spearman"], 1.0)


def test_random_logit_test_explains_another_class(trained, crops):
    check = random_logit_test(trained, crops, "hirescam", random_state=3)
    table = check.to_frame()
    assert len(table) == len(crops)
    assert (table["random_class"] != table["predicted"]).all()
    assert table["random_class"].between(0, 2).all()
    assert check.passed and table["spearman"].mean() < check.threshold
    again = random_logit_test(trained, crops, "hirescam", random_state=3)
    assert again.table.equals(table)
    with pytest.raises(ValueError, match="threshold must be a Spearman correlation"):
        random_logit_test(trained, crops, threshold=2)


def test_paired_methods_match_hand_computed_mcnemar_and_wilcoxon():
    import pandas as pd
    from scipy.stats import binomtest, wilcoxon

    from skmammo.explain.metrics import paired_methods

    rng = np.random.RandomState(0)
    a_hit = rng.rand(30) < 0.7
    b_hit = rng.rand(30) < 0.3
    a_rank, b_rank = rng.rand(30), rng.rand(30) * 0.5
    a_rank[3] = b_rank[3] = np.nan  # an image without a lesion: left out
    t = pd.DataFrame({"method": ["a"] * 30 + ["b"] * 30, "image": list(range(30)) * 2,
                      "pointing_game": np.r_[a_hit, b_hit].astype(float),
                      "rank_accuracy": np.r_[a_rank, b_rank]})
    row = paired_methods(t).iloc[0]
    only_a, only_b = int(np.sum(a_hit & ~b_hit)), int(np.sum(~a_hit & b_hit))
    assert row["statistic"] == only_a - only_b and row["n"] == 30
    assert row["p_value"] == pytest.approx(binomtest(only_a, only_a + only_b, 0.5).pvalue)
    rank = paired_methods(t, "rank_accuracy").iloc[0]
    keep = np.isfinite(a_rank)
    assert rank["n"] == 29 and rank["test"] == "Wilcoxon signed-rank"
    assert rank["p_value"] == pytest.approx(wilcoxon(a_rank[keep], b_rank[keep]).pvalue)
    assert rank["difference"] == pytest.approx(np.mean(a_rank[keep] - b_rank[keep]))
    with pytest.raises(ValueError, match="no per-image"):
        paired_methods(t, pairs=[("a", "c")])
