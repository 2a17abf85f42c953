"""paper_cnn: architecture, parameter count, input handling."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from skmammo.models import paper_cnn  # noqa: E402


def test_parameter_count_matches_the_study():
    model = paper_cnn((224, 224, 3))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 1_386_177
    assert model.input_shape == (None, 224, 224)
    assert model.output_shape == (None, 3)


def test_layers_in_the_order_of_the_study():
    model = paper_cnn((224, 224, 3))
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert [(c.filters, c.kernel_size, c.padding) for c in convs] == [
        (16, (5, 5), "valid"), (16, (5, 5), "valid"), (14, (3, 3), "same")]
    dense = [l.units for l in model.layers if isinstance(l, keras.layers.Dense)]
    assert dense == [512, 256, 128, 3]
    assert sum(isinstance(l, keras.layers.MaxPooling2D) for l in model.layers) == 4
    assert model.get_layer("dropout").rate == 0.5
    # Grad-CAM's contract: scores before the softmax in "logits", softmax separate.
    assert model.get_layer("logits").activation.__name__ == "linear"
    assert model.get_layer("probabilities").output is model.outputs[0]


def test_small_inputs_build_and_scale_inside_the_model():
    model = paper_cnn((64, 64, 3), n_classes=3, seed=0)
    crops = np.random.default_rng(0).integers(0, 256, (4, 64, 64), dtype=np.uint8)
    p_uint8 = np.asarray(model(crops))
    p_float = np.asarray(model(crops.astype(np.float32)))
    np.testing.assert_allclose(p_uint8, p_float, rtol=1e-6)
    np.testing.assert_allclose(p_uint8.sum(axis=1), 1, rtol=1e-5)
    # Rescaling to [0, 1] happens inside: the first layer after the input sees x / 255.
    rescaled = keras.Model(model.input, model.get_layer("rescale").output)(crops)
    assert float(np.max(rescaled)) <= 1.0
    # One grey channel is copied into three.
    rgb = np.asarray(keras.Model(model.input, model.get_layer("grey_to_rgb").output)(crops))
    assert rgb.shape == (4, 64, 64, 3)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
    assert paper_cnn((32, 32, 3)).output_shape == (None, 3)


def test_same_seed_same_initial_weights():
    a = paper_cnn((32, 32, 3), seed=3).get_weights()
    b = paper_cnn((32, 32, 3), seed=3).get_weights()
    c = paper_cnn((32, 32, 3), seed=4).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("shape", [(16, 16, 3), (64, 64, 2), (64,)])
def test_bad_input_shapes_are_refused(shape):
    with pytest.raises(ValueError, match="input_shape"):
        paper_cnn(shape)
