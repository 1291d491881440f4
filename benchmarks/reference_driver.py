"""Runs the founding note's reference implementation; called by ``benchmarks/reference.py`` and
``benchmarks/reference_compare.py`` under a Python with TensorFlow.

    TF_PYTHON benchmarks/reference_driver.py time --reference DIR --digits DIGITS.npz --iterations 20 --threads 2
    TF_PYTHON benchmarks/reference_driver.py draw --reference DIR --digits DIGITS.npz --run RUN --out POINTS.npz

DIR is a checkout of Grzego/mnist-handwriting-dataset (TensorFlow 1 code). Nothing of it is copied:
its ``train.py`` is imported from DIR as it is, with ``import tensorflow`` answered by
``tensorflow.compat.v1`` (graph mode). DIGITS.npz holds ``images`` (N, 28, 28) float32 in [0, 1], as
its training scales them, and ``labels`` (N,).

``time`` runs its own graph (``create_graph``), human-sample step (``load_pretrain_data``,
``pretrain``) and training step (``train``) and prints one JSON line: seconds per iteration (its
32-sample step, then its 64-digit step; the mean over ``--iterations`` after three warm-up ones) and
converted digits per second (its forward pass).

``draw`` restores the newest checkpoint of a training run of it (RUN: the ``summary/experiment-K``
folder its ``train.py`` made; ``RUN/models/handwriting_model-E``) and writes its drawings of the
digits to POINTS.npz: ``points`` (N, 20, 3) x, y in [0, 1] and pen_up, lifted where log(softness)
<= 4 (its ``convert.py``'s rule) and after the last point; ``checkpoint``, the file restored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def import_reference(folder: str):
    """The reference's ``train`` module, ``tensorflow.compat.v1`` and TensorFlow's version; the working directory
    moved to ``folder``."""
    import tensorflow

    v1 = tensorflow.compat.v1
    v1.disable_v2_behavior()
    sys.modules["tensorflow"] = v1           # the reference's `import tensorflow as tf` is TF1's API
    os.chdir(folder)                         # it reads data/samples.h5 relative to its folder
    sys.path.insert(0, os.path.abspath(folder))
    sys.argv = ["train.py"]                  # its module-level argparse
    import train as reference

    return reference, v1, tensorflow.__version__


def session_config(args, v1):
    """A session on ``args.threads`` threads (within and across operations)."""
    return v1.ConfigProto(intra_op_parallelism_threads=args.threads, inter_op_parallelism_threads=args.threads)


def time_reference(args, reference, v1, images, labels) -> dict:
    """Seconds per training iteration and digits per second of its forward pass, from a fresh model."""
    graph, _, model = reference.create_graph(num_segments=20)
    with v1.Session(graph=graph, config=session_config(args, v1)) as session:
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
    return {"iteration_s": per_iteration, "convert_digits_per_s": rate}


def draw_reference(args, reference, v1, images, labels) -> dict:
    """Its drawings of ``images`` by the newest checkpoint of ``args.run``, written to ``args.out``."""
    import numpy as np

    checkpoint = v1.train.latest_checkpoint(os.path.join(args.run, "models"))
    if checkpoint is None:
        raise SystemExit(f"no checkpoint in {args.run}/models: train the reference first (python train.py --epochs 5)")
    graph, _, model = reference.create_graph(num_segments=20)
    with graph.as_default(), v1.Session(graph=graph, config=session_config(args, v1)) as session:
        v1.train.Saver().restore(session, checkpoint)
        parts = [session.run(model.handwritting, feed_dict={model.images: images[start:start + 1000],
                                                            model.labels: labels[start:start + 1000]})
                 for start in range(0, len(images), 1000)]
    points = np.concatenate(parts).astype(np.float32)
    points[:, :, 2] = np.log(points[:, :, 2]) <= 4.0
    points[:, -1, 2] = 1.0
    np.savez(args.out, points=points, checkpoint=os.path.basename(checkpoint))
    return {"digits": len(points), "checkpoint": checkpoint}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("time", "draw"))
    parser.add_argument("--reference", required=True)
    parser.add_argument("--digits", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=20, help="time: timed iterations")
    parser.add_argument("--convert-digits", type=int, default=10_000, help="time: digits converted")
    parser.add_argument("--batch-size", type=int, default=64, help="time: digits per training step")
    parser.add_argument("--run", help="draw: the reference's training folder (summary/experiment-K)")
    parser.add_argument("--out", help="draw: where the points go (.npz)")
    args = parser.parse_args()
    if args.mode == "draw" and not (args.run and args.out):
        parser.error("draw needs --run and --out")
    args.run = args.run and os.path.abspath(args.run)
    args.out = args.out and os.path.abspath(args.out)

    import numpy as np

    digits = np.load(os.path.abspath(args.digits))
    reference, v1, version = import_reference(args.reference)
    images = digits["images"][..., None].astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[digits["labels"]]
    measure = time_reference if args.mode == "time" else draw_reference
    print(json.dumps({**measure(args, reference, v1, images, labels), "tensorflow": version}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
