"""Speed of the gradient CAMs and of the randomisation test, against their floor, in one run.

Explains the same crops with the same network (``paper_cnn`` at 224x224,
untrained weights: timing only) and prints per-crop times and ratios:

- **floor**: one batched forward + backward pass of the same crops, compiled
  (the class score differentiated with respect to the last convolutional
  layer's activations, in batches of 64): the least any gradient CAM costs;
- **Grad-CAM**, **HiResCAM**, **LayerCAM**: ``explain(model, X, method)``,
  batches of 64, the same compiled pass plus each method's weighting;
- **occlusion** (forward passes only, one per patch position): on a few
  crops, reported on its own, against the forward-pass floor of as many
  occluded crops;
- the cascading **randomisation test** of HiResCAM on 50 crops (one explain
  per layer with weights, plus the original), wall-clock.

Every time is the best of ``--repeat`` runs (the machine is shared).

Run::

    .venv/bin/python benchmarks/bench_cams.py            # ~2 minutes on 2 cores
    .venv/bin/python benchmarks/bench_cams.py --quick    # smaller, for a smoke test

Targets (issue 15): every gradient CAM within 1.5x of the floor; HiResCAM
and LayerCAM within 1.5x of Grad-CAM; the randomisation test of a CAM on 50
crops under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from bench_explain import synthetic_crops


def best_of(repeat: int, fn, *args, **kwargs) -> float:
    """The least wall-clock seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times)


def gradient_floor(model, batch_size: int):
    """One compiled forward + backward pass per batch: d(predicted logit) / d(conv activations)."""
    import keras
    import tensorflow as tf

    from skmammo.explain._gradcam import find_last_conv

    conv = find_last_conv(model)
    sub = keras.Model(model.input, [conv.output, model.get_layer("logits").output])

    @tf.function(reduce_retracing=True)
    def step(x):
        with tf.GradientTape() as tape:
            acts, logits = sub(tf.cast(x, tf.float32), training=False)
            score = tf.reduce_max(logits, axis=-1)
        return tape.gradient(score, acts)

    def run(X):
        for s in range(0, len(X), batch_size):
            step(tf.constant(X[s:s + batch_size])).numpy()

    return run


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--n", type=int, default=128, help="crops for the CAMs and the floor")
    parser.add_argument("--n-occlusion", type=int, default=4, help="crops for occlusion")
    parser.add_argument("--n-randomization", type=int, default=50,
                        help="crops for the randomisation test")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument("--quick", action="store_true", help="64 crops, 1 repeat, 10 crops for "
                                                             "the randomisation test")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.n_occlusion, args.n_randomization, args.repeat = 64, 1, 10, 1

    import tensorflow as tf

    from skmammo.explain import explain, randomization_test
    from skmammo.explain._model import predict_fn
    from skmammo.models import paper_cnn

    print(f"tensorflow {tf.__version__}, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    model = paper_cnn(input_shape=(args.size, args.size, 3), seed=0)
    X = synthetic_crops(max(args.n, args.n_randomization), args.size)
    n = args.n
    floor = gradient_floor(model, 64)
    floor(X[:64])  # trace
    for method in ("gradcam", "hirescam", "layercam"):
        explain(model, X[:8], method)  # trace once each

    t = {"floor": best_of(args.repeat, floor, X[:n])}
    for method in ("gradcam", "hirescam", "layercam"):
        t[method] = best_of(args.repeat, explain, model, X[:n], method, batch_size=64)
    t["floor after"] = best_of(args.repeat, floor, X[:n])  # the load may change during the run
    base = min(t["floor"], t["floor after"])

    print(f"\n{args.size}x{args.size} crops, paper_cnn, {n} crops in batches of 64, best of "
          f"{args.repeat}")
    print(f"{'':<22} {'ms / crop':>10} {'/ floor':>8} {'/ Grad-CAM':>11} | target")
    print(f"{'floor (fwd + bwd)':<22} {1000 * base / n:>10.2f} {1.0:>8.2f} {'':>11} |")
    for method, label in (("gradcam", "Grad-CAM"), ("hirescam", "HiResCAM"),
                          ("layercam", "LayerCAM")):
        r_floor, r_grad = t[method] / base, t[method] / t["gradcam"]
        ok = r_floor <= 1.5 and (method == "gradcam" or r_grad <= 1.5)
        print(f"{label:<22} {1000 * t[method] / n:>10.2f} {r_floor:>8.2f} {r_grad:>11.2f} | "
              f"<= 1.5x floor{'' if method == 'gradcam' else ', <= 1.5x Grad-CAM'}: "
              f"{'ok' if ok else 'missed'}")

    # occlusion: one forward pass per patch position
    m = args.n_occlusion
    from skmammo.explain._occlusion import _starts

    e = explain(model, X[:1], "occlusion")
    patch, stride = e.params["patch_size"], e.params["stride"]
    positions = len(_starts(args.size, patch, stride)) ** 2
    t_occ = best_of(1, explain, model, X[:m], "occlusion")  # seconds per crop: timed once
    predict = predict_fn(model, 256)
    big = np.repeat(X[:1].astype(np.float32), 256, axis=0)
    predict(big)
    t_fwd = best_of(args.repeat, predict, big) / 256
    per_crop = t_occ / m
    print(f"\nocclusion (patch {patch} px, stride {stride} px, {positions} positions per crop), "
          f"{m} crops: {per_crop:.3f} s / crop = the time of {per_crop / t_fwd:.0f} forward passes "
          f"({per_crop / t_fwd / positions:.2f}x its own floor)")

    # the randomisation test of a CAM
    k = args.n_randomization
    layers = [lyr.name for lyr in model.layers if lyr.trainable_weights]
    start = time.perf_counter()
    check = randomization_test(model, X[:k], "hirescam", random_state=0)
    t_rand = time.perf_counter() - start
    print(f"\nrandomisation test of HiResCAM on {k} crops ({len(layers)} layers with weights, "
          f"{len(layers) + 1} explanations): {t_rand:.1f} s (target < 60 s: "
          f"{'ok' if t_rand < 60 else 'missed'}); last row: {check.verdict}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
