"""Speed of skmammo.explain against the plain use of the libraries, on the same images and model.

Explains the same crops with the same network two ways in one run:

- **skmammo**: ``skmammo.explain.explain(model, X, method)``;
- **plain**, as the study's code did it: Grad-CAM with a new gradient model and
  a ``model.predict`` per image; ``lime_image.LimeImageExplainer().explain_instance``
  with its defaults (``batch_size=10``) calling ``model.predict``;
  ``shap.KernelExplainer`` over the same SLIC superpixels calling
  ``model.predict`` on images masked in a Python loop.

It also prints the forward-pass floor: the time 1000 forward passes take
(the least any sampling explainer with 1000 samples can cost).  The network
is ``paper_cnn`` at 224x224 (untrained weights: timing only).

Run::

    .venv/bin/python benchmarks/bench_explain.py            # ~3 minutes on 2 cores
    .venv/bin/python benchmarks/bench_explain.py --quick    # smaller, for a smoke test

Targets (issue 5): Grad-CAM <= 3 ms per image batched; LIME and Kernel SHAP
at 1000 samples <= 2.5 s per image, within about 1.3x of the floor.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402


def synthetic_crops(n: int, size: int, seed: int = 0) -> np.ndarray:
    """Noisy grey crops with a bright blob (a lesion-like structure) each."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    X = rng.normal(90, 15, (n, size, size))
    for i in range(n):
        cx, cy = rng.uniform(size * 0.3, size * 0.7, 2)
        X[i] += 100 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (size / 12) ** 2))
    return np.clip(X, 0, 255).astype(np.uint8)


class Clock:
    """Wall-clock and CPU seconds (all threads of this process) of the last ``run``."""

    def run(self, fn, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        self.wall, self.cpu = time.perf_counter() - wall, time.process_time() - cpu
        return out


def timed(fn, *args, **kwargs):
    clock = Clock()
    out = clock.run(fn, *args, **kwargs)
    return (clock.wall, clock.cpu), out


# --------------------------------------------------------------- plain use
def plain_gradcam(model, X, layer_name):
    import keras
    import tensorflow as tf

    maps = []
    for img in X:
        batch = img[None].astype(np.float32)
        pred = model.predict(batch, verbose=0)
        grad_model = keras.Model(model.input, [model.get_layer(layer_name).output, model.get_layer("logits").output])
        with tf.GradientTape() as tape:
            conv, logits = grad_model(batch)
            score = logits[:, int(np.argmax(pred[0]))]
        grads = tape.gradient(score, conv)
        pooled = tf.reduce_mean(grads, axis=(0, 1, 2))
        cam = tf.nn.relu(conv[0] @ pooled[..., None])[..., 0]
        cam = tf.image.resize(cam[..., None], img.shape)[..., 0].numpy()
        maps.append(cam / (cam.max() + 1e-12))
    return np.array(maps)


def plain_lime(model, X):
    from lime import lime_image
    from skimage.color import gray2rgb

    def classifier_fn(rgb):
        return model.predict(rgb[..., 0].astype(np.float32), verbose=0)

    out = []
    for img in X:
        explainer = lime_image.LimeImageExplainer()
        out.append(explainer.explain_instance(gray2rgb(img), classifier_fn))
    return out


def plain_shap(model, X, nsamples=1000):
    import shap
    from skimage.segmentation import slic

    out = []
    for img in X:
        segments = slic(img.astype(float), n_segments=100, compactness=1, channel_axis=None, start_label=0)
        m = segments.max() + 1
        background = img.mean()

        def mask_image(zs, segmentation=segments, image=img, bg=background):
            out_ = np.zeros((zs.shape[0], *image.shape), dtype=np.float32)
            for i in range(zs.shape[0]):
                out_[i] = image
                for j in range(zs.shape[1]):
                    if zs[i, j] == 0:
                        out_[i][segmentation == j] = bg
            return out_

        def f(z):
            return model.predict(mask_image(z), verbose=0)

        explainer = shap.KernelExplainer(f, np.zeros((1, m)))
        out.append(explainer.shap_values(np.ones((1, m)), nsamples=nsamples, silent=True))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--n-gradcam", type=int, default=128, help="images for batched Grad-CAM")
    parser.add_argument("--n-plain-gradcam", type=int, default=20)
    parser.add_argument("--n-sampling", type=int, default=3, help="images for LIME and SHAP, each way")
    parser.add_argument("--samples", type=int, default=1000, help="LIME and SHAP n_samples (lime's num_samples, shap's nsamples)")
    parser.add_argument("--quick", action="store_true", help="1 image, 300 samples")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_gradcam, args.n_plain_gradcam, args.n_sampling, args.samples = 32, 4, 1, 300

    import tensorflow as tf

    from skmammo.explain import explain
    from skmammo.explain._gradcam import find_last_conv
    from skmammo.explain._model import predict_fn
    from skmammo.models import paper_cnn

    print(f"tensorflow {tf.__version__}, intra-op threads {tf.config.threading.get_intra_op_parallelism_threads() or 'auto'}, "
          f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    model = paper_cnn(input_shape=(args.size, args.size, 3), seed=0)
    layer = find_last_conv(model).name
    X = synthetic_crops(max(args.n_gradcam, args.n_sampling), args.size)
    rows = []

    # forward-pass floor
    predict = predict_fn(model, 128)
    big = np.repeat(X[:1], args.samples, axis=0)
    predict(big[:128])
    model.predict(big[:32], verbose=0)
    (t_floor, _), _ = timed(predict, big)
    (t_keras, _), _ = timed(model.predict, big.astype(np.float32), batch_size=128, verbose=0)
    print(f"forward-pass floor: {args.samples} passes take {t_floor:.2f} s compiled "
          f"({args.samples / t_floor:.0f} images/s), {t_keras:.2f} s with model.predict")

    def per_image(t, n):
        return (t[0] / n, t[1] / n)

    # Grad-CAM
    ng, npg, n = args.n_gradcam, args.n_plain_gradcam, args.n_sampling
    explain(model, X[:8], "gradcam")  # trace once
    plain_gradcam(model, X[:1], layer)
    t_plain, _ = timed(plain_gradcam, model, X[:npg], layer)
    floor, _ = timed(predict, X[:ng])  # one forward pass per image, measured next to it
    ours, _ = timed(explain, model, X[:ng], "gradcam", batch_size=64)
    rows.append(("Grad-CAM", per_image(t_plain, npg), per_image(ours, ng), per_image(floor, ng), 0.003))

    # LIME
    explain(model, X[:1], "lime", n_samples=50, random_state=0, verbose=0)
    if args.samples == 1000:
        t_plain, _ = timed(plain_lime, model, X[:n])
    else:  # lime's default num_samples is 1000; match the requested count
        from lime import lime_image
        from skimage.color import gray2rgb

        def plain_lime_n(model, X):
            for img in X:
                lime_image.LimeImageExplainer().explain_instance(
                    gray2rgb(img), lambda rgb: model.predict(rgb[..., 0].astype(np.float32), verbose=0),
                    num_samples=args.samples)

        t_plain, _ = timed(plain_lime_n, model, X[:n])
    floor, _ = timed(predict, big)
    ours, _ = timed(explain, model, X[:n], "lime", n_samples=args.samples, random_state=0, verbose=0)
    rows.append(("LIME", per_image(t_plain, n), per_image(ours, n), floor, 2.5))

    # Kernel SHAP
    t_plain, _ = timed(plain_shap, model, X[:n], args.samples)
    floor, _ = timed(predict, big)
    ours, _ = timed(explain, model, X[:n], "shap", n_samples=args.samples, random_state=0, verbose=0)
    rows.append(("Kernel SHAP", per_image(t_plain, n), per_image(ours, n), floor, 2.5))

    print(f"\n{args.size}x{args.size} crops, paper_cnn, {args.samples} samples for LIME / SHAP")
    print("wall: seconds per image; cpu: CPU seconds of all threads (robust to other load); floor: the "
          "forward passes alone,\nmeasured just before (1 per image for Grad-CAM, "
          f"{args.samples} per image for LIME / SHAP)")
    print(f"{'method':<12} {'plain wall':>11} {'skmammo wall':>13} {'floor wall':>11} {'speed-up':>9} "
          f"{'/ floor':>8} | {'speed-up cpu':>12} {'/ floor cpu':>11} | target")
    for name, plain, ours, floor, target in rows:
        ok = "ok" if ours[0] <= target else "missed"
        print(f"{name:<12} {plain[0]:>11.4f} {ours[0]:>13.4f} {floor[0]:>11.4f} {plain[0] / ours[0]:>8.1f}x "
              f"{ours[0] / floor[0]:>8.2f} | {plain[1] / ours[1]:>11.1f}x {ours[1] / floor[1]:>11.2f} | "
              f"{target:g} s {ok}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
