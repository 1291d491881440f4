#!/usr/bin/env python3
"""Issue 17, part 4: measure a synthesis network (legibility against real numbers, style, diversity) and compare with `write`.

    OMP_NUM_THREADS=2 python scripts/evaluate_synthesis.py --model runs/synthesis/synthesis.safetensors \
        --numbers 1000 --out docs/runs/synthesis-eval.json

Prints one markdown table per measure and writes them all to --out as JSON. Texts are random numbers of
1 to 12 characters (seed --seed); the reader is the shipped one. See mnist_handwriting.synthesis.evaluation.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnist_handwriting.errors import UserError  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--model", required=True, help="synthesis weights (.safetensors)")
    parser.add_argument("--numbers", type=int, default=1000, help="random numbers per measurement (default: 1000)")
    parser.add_argument("--biases", default="0,0.5,1,2", help="biases to score (default: 0,0.5,1,2)")
    parser.add_argument("--style-bias", type=float, default=1.0, help="bias of the style measurement (default: 1)")
    parser.add_argument("--seed", type=int, default=1, help="texts and samples (default: 1)")
    parser.add_argument("--skip-write", action="store_true", help="do not compare with `write`")
    parser.add_argument("--out", help="write every number to this JSON file")
    args = parser.parse_args(argv)
    try:
        report = evaluate(args)
    except UserError as error:
        print(f"evaluate_synthesis: error: {error}", file=sys.stderr)
        return 2
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")
    return 0


def evaluate(args: argparse.Namespace) -> dict:
    import numpy as np

    from mnist_handwriting.synthesis import evaluation as ev
    from mnist_handwriting.synthesis.reader import load_reader
    from mnist_handwriting.synthesis.writing import load_synthesizer

    model, reader = load_synthesizer(args.model), load_reader()
    texts = ev.texts_for(args.numbers, args.seed)
    started = time.perf_counter()
    real = ev.real_cer(reader, args.numbers, args.seed)
    report = {"model": args.model, "numbers": args.numbers, "seed": args.seed, "real_cer": real, "cer": {},
              "diversity": {}, "misread": {}}
    print("| bias | CER synthesised | diversity (LDTW px, two samples) | misread texts | of them containing (most) |\n"
          "| ---: | ---: | ---: | ---: | --- |")
    for bias in (float(b) for b in args.biases.split(",")):
        reads = ev.synthesized_reads(model, reader, texts, bias, args.seed)
        misread = ev.misread_by_character(reads, texts)
        report["cer"][str(bias)] = ev.character_error_rate(reads, texts)
        report["misread"][str(bias)] = {"texts": sum(r != t for r, t in zip(reads, texts)), "containing": misread}
        report["diversity"][str(bias)] = ev.diversity(model, texts[: max(1, args.numbers // 4)], bias, args.seed)
        most = ", ".join(f"{char!r} {count}" for char, count in list(misread.items())[:3])
        print(f"| {bias:g} | {report['cer'][str(bias)]:.2%} | {report['diversity'][str(bias)]:.2f} | "
              f"{report['misread'][str(bias)]['texts']} | {most} |", flush=True)
    print(f"real numbers of the same texts: CER {real['mnist_test']:.2%} (MNIST test digits), "
          f"{real['dev_writers']:.2%} (writers 25-30)")
    style = ev.style_confusion(model, max(1, args.numbers // 6), bias=args.style_bias, seed=args.seed, reader=reader)
    report["style"] = style
    print(f"\nstyle at bias {args.style_bias:g}: {style['accuracy']:.1%} of {style['digits']} synthesised digits "
          f"attributed to the priming writer (chance {style['chance']:.1%}; real held-out digits: "
          f"{style['real_accuracy']:.1%} of {style['real_digits']})")
    print("| primed with \\ attributed to | " + " | ".join(str(w) for w in style["writers"]) + " |")
    print("| --- |" + " ---: |" * len(style["writers"]))
    for writer, row in zip(style["writers"], style["confusion"]):
        print(f"| {writer} | " + " | ".join(str(v) for v in row) + " |")
    print("CER of the primed numbers, writers " + ", ".join(map(str, style["writers"])) + ": "
          + " / ".join(f"{cer:.2%}" for cer in style["primed_cer"].values()))
    if not args.skip_write:
        from mnist_handwriting.convert import load_converter
        from mnist_handwriting.write import DigitPool, write_text

        converter = load_converter("human-best")
        pool = DigitPool.from_dataset("mnist-test")
        written = [write_text(text, converter, pool, seed=i) for i, text in enumerate(texts)]
        report["write_cer"] = ev.cer_of_writings(reader, written)
        print(f"\n`write` (human-best, MNIST test digits) on the same texts: CER {report['write_cer']:.2%}")
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["mean_text_length"] = float(np.mean([len(t) for t in texts]))
    return report


if __name__ == "__main__":
    sys.exit(main())
