"""Named presets, overrides from --set and config files, errors for bad names and values."""

import dataclasses
import json

import pytest

from mnist_handwriting.errors import UserError
from mnist_handwriting.train.config import PRESETS, apply_file, apply_overrides, from_dict, preset, to_dict


def test_presets_follow_the_note():
    notes = [name for name in PRESETS if name.startswith("note-")]
    assert notes == ["note-learned-line", "note-soft-line", "note-dropout", "note-max", "note-aux-losses",
                     "note-ensemble", "note-best", "note-repository"]
    for name in notes[:-1]:
        config = PRESETS[name].validate()
        assert (config.lr, config.batch_size, config.epochs) == (0.0005, 64, 5), name
    best = PRESETS["note-best"]
    assert (best.model.kind, best.model.hidden, best.model.third_activation) == ("ensemble", 64, "exp")
    assert (best.aux_distance, best.aux_angle, best.human_pretrain_steps, best.human_every) == (0.01, 0.01, 100, 1)
    assert PRESETS["note-soft-line"].model.hidden == 512 and PRESETS["note-max"].model.compositing == "max"
    assert PRESETS["note-learned-line"].model.rasteriser == "learned-line"
    assert PRESETS["note-dropout"].model.dropout > 0


def test_the_repository_preset_is_its_train_py():
    config = PRESETS["note-repository"].validate()
    assert (config.model.kind, config.model.hidden, config.model.layers, config.model.third_activation) == \
        ("masked", 640, 3, "exp")
    assert (config.model.init, config.model.feedback) == ("tensorflow", "raw")
    assert (config.lr, config.human_lr, config.reshuffle, config.batch_size, config.epochs) == (0.001, 0.0005, False, 64, 5)
    assert (config.aux_distance, config.aux_angle, config.human_pretrain_steps, config.human_every) == (0.01, 0.01, 100, 1)


def test_preset_returns_a_copy():
    preset("note-best").model.hidden = 1
    assert PRESETS["note-best"].model.hidden == 64


def test_overrides_are_typed():
    config = apply_overrides(preset("note-best"), ["lr=0.001", "model.hidden=32", "epochs=2", "amp=true",
                                                   "model.compositing=max", "aux_angle=0"])
    assert (config.lr, config.model.hidden, config.epochs, config.amp) == (0.001, 32, 2, True)
    assert config.model.compositing == "max" and config.aux_angle == 0.0 and isinstance(config.aux_angle, float)


@pytest.mark.parametrize("pair, message", [
    ("learning_rate=1", "unknown config key 'learning_rate'.*model.hidden"),
    ("model.size=3", "unknown config key 'model.size'"),
    ("epochs=two", "epochs = 'two' is not a int"),
    ("epochs=1.5", "is not a int"),
    ("lr=-1", "lr = -1.0 is invalid"),
    ("model.kind=transformer", "model.kind = 'transformer' is invalid"),
    ("model.dropout=1", "model.dropout = 1.0 is invalid"),
    ("lr", "is not key=value"),
    ("save_dtype=int8", "save_dtype = .int8. is invalid"),
])
def test_bad_overrides_are_user_errors(pair, message):
    with pytest.raises(UserError, match=message):
        apply_overrides(preset("note-soft-line"), [pair])


def test_unknown_config_name():
    with pytest.raises(UserError, match="unknown config 'note-nope'.*note-best"):
        preset("note-nope")


def test_config_files(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('lr = 0.002\nsubset = 100\n[model]\nhidden = 16\nrasteriser = "soft-line"\n')
    config = apply_file(preset("note-ensemble"), toml)
    assert (config.lr, config.subset, config.model.hidden) == (0.002, 100, 16)
    as_json = tmp_path / "run.json"
    as_json.write_text(json.dumps({"batch_size": 8, "model": {"points": 12}}))
    config = apply_file(config, as_json)
    assert (config.batch_size, config.model.points) == (8, 12)
    broken = tmp_path / "broken.toml"
    broken.write_text("lr = = 1")
    with pytest.raises(UserError, match="cannot be parsed"):
        apply_file(config, broken)
    yaml = tmp_path / "run.yaml"
    yaml.write_text("lr: 1")
    with pytest.raises(UserError, match="neither .toml nor .json"):
        apply_file(config, yaml)
    with pytest.raises(UserError, match="config file not found"):
        apply_file(config, tmp_path / "missing.toml")


def test_dict_round_trip():
    config = apply_overrides(preset("note-best"), ["model.hidden=7"])
    assert from_dict(json.loads(json.dumps(to_dict(config)))) == config


def test_human_best_fine_tunes_note_best_on_the_paired_human_digits():
    config = preset("human-best").validate()
    assert config.init_model == "note-best" and config.paired_batch > 0 and config.paired_holdout == 4
    assert config.point_weight > 0 and config.dtw_weight > 0 and config.pen_weight > 0
    # same weights as note-best (so they load), only the input blurred
    assert dataclasses.replace(config.model, input_blur=0.0) == PRESETS["note-best"].model
    assert config.model.input_blur == 1.0
    assert from_dict(to_dict(config)) == config


def test_the_stored_command_reproduces_a_run_and_a_resume():
    from mnist_handwriting.cli import build_parser
    from mnist_handwriting.cli.train import reproducing_command

    parser = build_parser()
    fresh = parser.parse_args(["train", "--config", "human-best", "--set", "epochs=5", "--out", "runs/x"])
    assert reproducing_command(fresh) == ("mnist-handwriting train --config human-best --set epochs=5 --seed 0 "
                                          "--device cpu --out runs/x")
    resumed = parser.parse_args(["train", "--resume", "runs/x", "--set", "save_dtype=float16"])
    # a resumed run's configuration is the one saved in its folder, not the --config default
    assert reproducing_command(resumed) == ("mnist-handwriting train --resume runs/x --set save_dtype=float16 "
                                            "--seed 0 --device cpu")
