"""Every file reader against random, mutated and made-up files: each loads or raises the one-line UserError.

Hypothesis draws the files: random bytes, a valid file with a few bytes flipped, cut, inserted
or overwritten by boundary integers, and for the ``.npz`` formats archives of arbitrary arrays
and archives whose ``.npy`` members (not the zip around them, whose checksums would catch
every flip) are mutated. Any other exception, or an example over its deadline, fails.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from mnist_handwriting.data.human import parse_unipen, read_samples_h5, to_mnist_frame
from mnist_handwriting.data.idx import read_idx, write_idx
from mnist_handwriting.data.preprocess import load_image
from mnist_handwriting.errors import UserError
from mnist_handwriting.export import format_module
from mnist_handwriting.export.numbers import load_numbers, load_stroke3, save_numbers, save_stroke3
from mnist_handwriting.formats import load_handwriting_file, load_images_file, save_handwriting_file, save_images_file
from mnist_handwriting.models.registry import load_model
from mnist_handwriting.write import Writing
from data.test_human import SNIPPET as UNIPEN
from weights_files import tiny_model

EXAMPLES = 50
"""Examples per strategy and reader: random, mutated and (for .npz) made-up archives."""
FUZZ = settings(max_examples=EXAMPLES, deadline=2000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
BOUNDARIES = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]


def points(count=3, steps=5) -> np.ndarray:
    rng = np.random.default_rng(0)
    data = rng.uniform(0.1, 0.9, (count, steps, 3)).astype(np.float32)
    data[..., 2] = 0
    data[:, -1, 2] = 1
    return data


LABELS = np.array([1, 7, 3])


@st.composite
def mutations(draw, valid: bytes) -> bytes:
    """``valid`` with one to four bytes flipped, runs cut or inserted, or boundary integers written in."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "integer", "truncate"]))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "integer":
            data[at:at + 4] = struct.pack(draw(st.sampled_from(["<I", ">I"])), draw(st.sampled_from(BOUNDARIES)))
        else:
            del data[at:]
    return bytes(data)


def npz_of(members: dict[str, bytes]) -> bytes:
    """A zip archive of raw ``.npy`` members (checksums correct, so readers see the members' bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)
    return buffer.getvalue()


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype.hasobject)
    return buffer.getvalue()


def valid_file(writer, suffix: str = ".npz") -> bytes:
    """The bytes ``writer(path)`` writes."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        writer(path)
        return path.read_bytes()


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name.removesuffix(".npy"): archive.read(name) for name in archive.namelist()}


def check(read, path: Path) -> None:
    """``read(path)`` either returns or raises a one-line UserError."""
    try:
        read(path)
    except UserError as error:
        assert "\n" not in str(error) and str(error), repr(error)


DTYPES = st.sampled_from([np.uint8, np.int64, np.int16, np.float32, np.float64, np.bool_, np.complex64, "<U3", "<M8[s]"])
ARRAYS = hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))


def writings() -> list[Writing]:
    return [Writing("12", np.array([[0.1, 0.2, 0], [0.5, 0.6, 1], [1.2, 0.5, 1]], np.float32), 2.0, [])]


NPZ_READERS = {
    "images file": (lambda p: save_images_file(p, np.zeros((3, 28, 28), np.uint8) + 255 * np.eye(28, dtype=np.uint8),
                                               LABELS), load_images_file, ("images", "labels")),
    "handwriting file": (lambda p: save_handwriting_file(p, points(), LABELS), load_handwriting_file,
                         ("points", "labels")),
    "numbers file": (lambda p: save_numbers(p, writings()), load_numbers, ("points", "offsets", "texts", "widths")),
    "npz export": (lambda p: format_module("npz").write(points(), LABELS, p), format_module("npz").read,
                   ("lines", "labels")),
    "stroke3 export": (lambda p: format_module("stroke3").write(points(), LABELS, p), format_module("stroke3").read,
                       ("train", "valid", "test", "train_labels", "train_index")),
    "stroke3 numbers file": (lambda p: save_stroke3(p, writings()), load_stroke3, ("train", "valid", "test", "train_texts")),
}


@pytest.mark.parametrize("name", list(NPZ_READERS))
@FUZZ
@given(data=st.data())
def test_npz_readers(tmp_path, name, data):
    writer, read, keys = NPZ_READERS[name]
    valid = valid_file(writer)
    members = members_of(valid)
    kind = data.draw(st.sampled_from(["random", "mutated", "made-up", "mutated member"]))
    if kind == "random":
        content = data.draw(st.binary(max_size=512))
    elif kind == "mutated":
        content = data.draw(mutations(valid))
    elif kind == "made-up":
        chosen = data.draw(st.lists(st.sampled_from(keys), unique=True))
        content = npz_of({**members, **{key: npy(data.draw(ARRAYS)) for key in chosen}})
    else:
        key = data.draw(st.sampled_from(sorted(members)))
        content = npz_of({**members, key: data.draw(mutations(members[key]))})
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(content)
    check(read, path)


def samples_h5(path: Path) -> None:
    import h5py

    with h5py.File(path, "w") as handle:
        handle["data"] = points()
        handle["labels"] = LABELS


def image_file(format: str):
    def write(path: Path) -> None:
        from PIL import Image

        image = np.full((24, 20), 255, np.uint8)
        image[4:20, 9:12] = 0
        Image.fromarray(image).save(path, format=format)
    return write


def export_file(format: str):
    return lambda path: format_module(format).write(points(), LABELS, path, progress=False)




def read_pendigits_text(path: Path):
    digits = parse_unipen(path.read_text(encoding="latin-1"), str(path))
    return [to_mnist_frame(strokes) for _, _, strokes in digits]


FILE_READERS = {
    # name: (the fuzzed file's path inside the fuzzed folder, writer of a valid one (its folder for exports that
    # write folders), reader of the folder or file)
    "ndjson export": ("file.ndjson", export_file("ndjson"), format_module("ndjson").read),
    "inkml export": ("file.inkml", export_file("inkml"), format_module("inkml").read),
    "svg export": ("out/00000_1.svg", export_file("svg"), format_module("svg").read),
    "parquet export": ("out/data/train.parquet", export_file("parquet"), format_module("parquet").read),
    "model weights": ("model.safetensors", tiny_model, load_model),
    "UNIPEN": ("digits.unipen", lambda p: p.write_text(UNIPEN), read_pendigits_text),
    "IDX": ("file-idx3-ubyte", lambda p: write_idx(p, np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)), read_idx),
    "IDX gzip": ("file-idx3-ubyte.gz", lambda p: write_idx(p, np.arange(24, dtype=np.int32).reshape(2, 12)), read_idx),
    "samples.h5": ("samples.h5", samples_h5, read_samples_h5),
    "PNG": ("digit.png", image_file("PNG"), load_image),
    "JPEG": ("digit.jpg", image_file("JPEG"), load_image),
}


def valid_tree(tmp: Path, name: str) -> tuple[Path, Path, bytes]:
    """A valid file of reader ``name`` in ``tmp``: (the path its reader takes, the file to fuzz, its bytes)."""
    inner, writer, _ = FILE_READERS[name]
    parts = Path(inner).parts
    root = tmp / parts[0]
    writer(root)
    target = tmp / inner
    return root, target, target.read_bytes()


@pytest.mark.parametrize("name", list(FILE_READERS))
def test_file_readers(tmp_path_factory, name):
    _, _, read = FILE_READERS[name]
    root, target, valid = valid_tree(tmp_path_factory.mktemp("valid"), name)
    read(root)   # the seed itself loads

    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        kind = data.draw(st.sampled_from(["random", "mutated", "text"]))
        content = (data.draw(st.binary(max_size=512)) if kind == "random" else
                   data.draw(st.text(max_size=200)).encode() if kind == "text" else data.draw(mutations(valid)))
        target.write_bytes(content)
        check(read, root)

    fuzz()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` grey pixels, with (almost) no pixel data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


def jpeg_claiming(width: int, height: int) -> bytes:
    valid = bytearray(valid_file(image_file("JPEG"), ".jpg"))
    frame = valid.index(b"\xff\xc0") + 5   # start of frame: precision, then height and width
    valid[frame:frame + 4] = struct.pack(">HH", height, width)
    return bytes(valid)


LAUGHS = ('<?xml version="1.0"?><!DOCTYPE ink [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdefgh", "bcdefghi"))
          + ']><ink xmlns="http://www.w3.org/2003/InkML">&i;</ink>')
"""The billion laughs: 10^9 bytes of entity expansion in a 1 KB XML file."""


def bombs(folder: Path) -> dict[str, str]:
    """Small files that claim huge contents, by name (the suffix picks the reader in :func:`read_bomb`)."""
    import gzip

    import h5py

    idx = bytes([0, 0, 8, 3]) + struct.pack(">3I", 10_000, 10_000, 10_000) + bytes(16)   # 10^12 items
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10**9, 28, 28)})
    tensors = json.dumps({"w": {"dtype": "F32", "shape": [10**6, 10**6], "data_offsets": [0, 4 * 10**12]},
                          "__metadata__": {"format": "mnist-handwriting-model/1", "config": "{}"}}).encode()
    files = {"claims.idx": idx, "claims.idx.gz": gzip.compress(idx), "claims.png": png_claiming(100_000, 100_000),
             "claims.jpg": jpeg_claiming(65_000, 65_000),
             "claims.npz": npz_of({"images": header.getvalue() + bytes(64), "labels": npy(np.zeros(3, np.int64))}),
             "claims.safetensors": struct.pack("<Q", len(tensors)) + tensors + bytes(16), "laughs.inkml": LAUGHS.encode()}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with h5py.File(folder / "claims.h5", "w") as handle:   # 2.4 GB of chunks never written: read as fill values
        handle.create_dataset("data", shape=(10**7, 20, 3), dtype="f4", chunks=(1, 20, 3))
        handle.create_dataset("labels", shape=(10**7,), dtype="i8", chunks=(1000,))
    return sorted(path.name for path in folder.iterdir())


BOMB_READERS = {".idx": read_idx, ".gz": read_idx, ".png": load_image, ".jpg": load_image, ".npz": load_images_file,
                ".safetensors": load_model, ".inkml": format_module("inkml").read, ".h5": read_samples_h5}


def read_bombs(folder: Path) -> dict[str, str]:
    """Each bomb's outcome (``UserError: ...`` or the other exception) with the address space capped at
    1 GB over what the imports use, so that any larger allocation fails."""
    import resource

    with open("/proc/self/status") as status:
        used = int(next(line.split()[1] for line in status if line.startswith("VmSize"))) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (used + 2**30, resource.RLIM_INFINITY))
    outcomes = {}
    for path in sorted(folder.iterdir()):
        try:
            BOMB_READERS[path.suffix](path)
            outcomes[path.name] = "loaded"
        except UserError as error:
            outcomes[path.name] = f"UserError: {error}"
        except BaseException as error:
            outcomes[path.name] = f"{type(error).__name__}: {error}"
    return outcomes


def test_small_files_claiming_huge_contents_are_refused_without_allocating(tmp_path):
    import os
    import subprocess
    import sys

    names = bombs(tmp_path)
    script = f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); " \
             f"from test_fuzzed_files import read_bombs; print(json.dumps(read_bombs(__import__('pathlib').Path({str(tmp_path)!r}))))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout.splitlines()[-1])
    assert sorted(outcomes) == names
    for name, outcome in outcomes.items():
        assert outcome.startswith("UserError: "), (name, outcome)


def cut_png() -> bytes:
    valid = valid_file(image_file("PNG"), ".png")
    at = valid.index(b"IDAT") + 31   # four bytes cut from the end of the pixel data: Pillow raised SyntaxError
    return valid[:at] + valid[at + 4:]


@pytest.mark.parametrize("name, content, reader, message", [
    ("cut.png", cut_png, load_image, "not a readable image"),
    ("nan.unipen", lambda: UNIPEN.replace("90  100", "nan  100").encode(), read_pendigits_text, "not finite"),
    ("huge.unipen", lambda: UNIPEN.replace("90  100", "1e200  100").encode(), read_pendigits_text, "beyond"),
    ("latin.ndjson", lambda: b"\x80\n", format_module("ndjson").read, "not UTF-8"),
    ("encoding.inkml", lambda: b'<?xml version="1.0" encoding="TTF-8"?><ink/>', format_module("inkml").read,
     "unknown encoding"),
])
def test_what_fuzzing_found_is_a_user_error(tmp_path, name, content, reader, message):
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(UserError, match=message):
        reader(path)
