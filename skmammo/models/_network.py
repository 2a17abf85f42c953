"""``paper_cnn``: the convolutional network of Balve & Hendrix (2024)."""

from __future__ import annotations

from typing import Any

__all__ = ["paper_cnn", "sets_learning_rate"]


def sets_learning_rate(classifier: Any) -> bool:
    """Whether the classifier's ``learning_rate`` sets its optimizer's rate.

    Not for an optimizer given as an instance (the user's object keeps its own
    rate and is never changed), nor when ``optimizer__learning_rate`` is given
    (the routed parameter is the more specific one and wins).
    """
    return (isinstance(classifier.optimizer, (str, type))
            and getattr(classifier, "optimizer__learning_rate", None) is None)


def paper_cnn(
    input_shape: tuple[int, ...] = (224, 224, 3),
    n_classes: int = 3,
    *,
    dropout: float = 0.5,
    seed: int | None = None,
) -> Any:
    """Build the study's CNN (uncompiled ``keras.Model``).

    The model takes the ``(n, height, width)`` grey crops of
    :class:`~skmammo.preprocessing.ROICropper` as they are (``uint8`` or float
    grey levels 0..255): scaling to [0, 1] and copying the grey channel into
    ``channels`` channels happen inside the model.  Then::

        Conv2D 16@5x5 valid -> MaxPool 2 -> Conv2D 16@5x5 valid -> MaxPool 2
        -> Conv2D 14@3x3 same -> MaxPool 2 -> MaxPool 2 -> Flatten
        -> Dense 512 -> Dense 256 -> Dense 128 -> Dropout 0.5
        -> Dense n_classes ("logits") -> softmax ("probabilities")

    with ReLU activations and He-normal initialisation.  The class scores before
    the softmax are the output of the layer named ``"logits"``; the softmax is a
    separate ``Activation`` layer named ``"probabilities"`` (the model output),
    so Grad-CAM can differentiate the scores.

    Parameters
    ----------
    input_shape : tuple of int, default=(224, 224, 3)
        ``(height, width, channels)`` the network works on (``channels`` 1 or
        3; ``(height, width)`` means 3 channels).  The model *input* is always
        ``(height, width)``.
    n_classes : int, default=3
        Number of output classes.
    dropout : float, default=0.5
        Dropout rate before the last dense layer.
    seed : int or None, default=None
        Seed of the weight initialisers and the dropout layer.  ``None`` draws
        them from Python's global random state (which
        :class:`MammoCNNClassifier` seeds).

    Returns
    -------
    keras.Model
        Not compiled.  1,386,177 trainable parameters at 224x224x3.

    Examples
    --------
    >>> from skmammo.models import paper_cnn
    >>> model = paper_cnn((224, 224, 3))
    >>> model.count_params()
    1386177
    >>> model.input_shape, model.output_shape
    ((None, 224, 224), (None, 3))
    """
    import skmammo.models._quiet  # noqa: F401  (first: TensorFlow's start-up lines held back)

    # isort: split
    import keras
    from keras import layers

    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 2:
        shape = (*shape, 3)
    if len(shape) != 3 or shape[2] not in (1, 3) or min(shape) < 1:
        raise ValueError(
            f"input_shape must be (height, width) or (height, width, channels) with 1 or 3 "
            f"channels, got {input_shape!r}"
        )
    height, width, channels = shape
    if min(height, width) < 32:
        raise ValueError(
            f"input_shape {input_shape!r} is too small for the network: it needs crops of at "
            "least 32x32 pixels (ROICropper(size=...) sets the crop size)"
        )
    if int(n_classes) < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes!r}")

    def init(offset: int):
        return keras.initializers.HeNormal(seed=None if seed is None else seed + offset)

    inputs = keras.Input(shape=(height, width), dtype="float32", name="crop")
    x = layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    x = layers.Reshape((height, width, 1), name="add_channel")(x)
    if channels == 3:
        x = layers.Concatenate(axis=-1, name="grey_to_rgb")([x, x, x])
    x = layers.Conv2D(16, 5, padding="valid", activation="relu", kernel_initializer=init(1),
                      name="conv1")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(16, 5, padding="valid", activation="relu", kernel_initializer=init(2),
                      name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Conv2D(14, 3, padding="same", activation="relu", kernel_initializer=init(3),
                      name="conv3")(x)
    x = layers.MaxPooling2D(2, name="pool3")(x)
    x = layers.MaxPooling2D(2, name="pool4")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate((512, 256, 128), start=1):
        x = layers.Dense(units, activation="relu", kernel_initializer=init(3 + i),
                         name=f"dense{i}")(x)
    x = layers.Dropout(dropout, seed=None if seed is None else seed + 7, name="dropout")(x)
    logits = layers.Dense(int(n_classes), kernel_initializer=init(8), name="logits")(x)
    outputs = layers.Activation("softmax", name="probabilities")(logits)
    return keras.Model(inputs, outputs, name="paper_cnn")
