"""Times the founding note's reference implementation; run by ``benchmarks/reference.py`` under a Python with TensorFlow.

    TF_PYTHON benchmarks/reference_driver.py --reference DIR --digits DIGITS.npz --iterations 20 --threads 2

DIR is a checkout of Grzego/mnist-handwriting-dataset (TensorFlow 1 code). Nothing of it is copied:
its ``train.py`` is imported from DIR as it is, with ``import tensorflow`` answered by
``tensorflow.compat.v1`` (graph mode), and its own graph (``create_graph``), human-sample step
(``load_pretrain_data``, ``pretrain``) and training step (``train``) are run on the digits in
DIGITS.npz (``images`` (N, 28, 28) float32 in [0, 1], as its training scales them, ``labels`` (N,)).
Prints one JSON line: seconds per iteration (its 32-sample step, then its 64-digit step; the mean
over ``--iterations`` after three warm-up ones) and converted digits per second (its forward pass).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True)
    parser.add_argument("--digits", required=True)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--convert-digits", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    import numpy as np
    import tensorflow

    v1 = tensorflow.compat.v1
    v1.disable_v2_behavior()
    sys.modules["tensorflow"] = v1           # the reference's `import tensorflow as tf` is TF1's API
    digits = np.load(os.path.abspath(args.digits))
    os.chdir(args.reference)                 # it reads data/samples.h5 relative to its folder
    sys.path.insert(0, os.path.abspath(args.reference))
    sys.argv = ["train.py"]                  # its module-level argparse
    import train as reference

    images = digits["images"][..., None].astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[digits["labels"]]
    graph, _, model = reference.create_graph(num_segments=20)
    config = v1.ConfigProto(intra_op_parallelism_threads=args.threads, inter_op_parallelism_threads=args.threads)
    with v1.Session(graph=graph, config=config) as session:
        session.run(v1.global_variables_initializer())
        human_images, human_points, human_labels = reference.load_pretrain_data()
        human = {model.images: human_images, model.points: human_points, model.labels: human_labels}
        batches = len(images) // args.batch_size

        def iteration(index: int) -> None:
            start = (index % batches) * args.batch_size
            session.run([model.pretrain_loss, model.pretrain], feed_dict=human)
            session.run([model.loss, model.train], feed_dict={model.images: images[start:start + args.batch_size],
                                                              model.labels: labels[start:start + args.batch_size]})

        for index in range(3):
            iteration(index)
        started = time.perf_counter()
        for index in range(args.iterations):
            iteration(index)
        per_iteration = (time.perf_counter() - started) / args.iterations

        count = min(args.convert_digits, len(images))
        session.run(model.handwritting, feed_dict={model.images: images[:1000], model.labels: labels[:1000]})
        started = time.perf_counter()
        for start in range(0, count, 1000):
            session.run(model.handwritting, feed_dict={model.images: images[start:start + 1000],
                                                       model.labels: labels[start:start + 1000]})
        rate = count / (time.perf_counter() - started)
    print(json.dumps({"iteration_s": per_iteration, "convert_digits_per_s": rate, "tensorflow": tensorflow.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
