"""Named presets, overrides from --set and config files, errors for bad names and values."""

import dataclasses
import json

import pytest

from mnist_handwriting.errors import UserError
from mnist_handwriting.train.config import (FLAT_KEYS, PRESETS, TrainConfig, apply_file, apply_override, apply_overrides,
                                            from_dict, preset, to_dict)


def test_presets_follow_the_note():
    notes = [name for name in PRESETS if name.startswith("note-")]
    assert notes == ["note-learned-line", "note-soft-line", "note-dropout", "note-max", "note-aux-losses",
                     "note-ensemble", "note-best"]
    for name in notes[:-2]:   # the 3x512 ones: the text's rate
        config = PRESETS[name].validate()
        assert (config.lr, config.batch_size, config.epochs, config.model.hidden) == (0.0005, 64, 5, 512), name
        assert (config.model.init, config.model.feedback, config.reshuffle) == ("tensorflow", "raw", False), name
    ensemble = PRESETS["note-ensemble"]
    assert dataclasses.replace(ensemble, human=PRESETS["note-best"].human) == PRESETS["note-best"]
    assert ensemble.human.every == 0 and ensemble.human.pretrain_steps == 0
    assert PRESETS["note-soft-line"].model.hidden == 512 and PRESETS["note-max"].model.compositing == "max"
    assert PRESETS["note-learned-line"].model.rasteriser == "learned-line"
    assert PRESETS["note-dropout"].model.dropout > 0


def test_note_best_is_the_repository_train_py():
    config = PRESETS["note-best"].validate()
    assert (config.model.kind, config.model.hidden, config.model.layers, config.model.third_activation) == \
        ("masked", 640, 3, "exp")
    assert (config.model.init, config.model.feedback) == ("tensorflow", "raw")
    assert (config.lr, config.human.lr, config.reshuffle, config.batch_size, config.epochs) == (0.001, 0.0005, False, 64, 5)
    assert (config.aux.distance, config.aux.angle, config.human.pretrain_steps, config.human.every) == (0.01, 0.01, 100, 1)


def test_preset_returns_a_copy():
    preset("note-best").model.hidden = 1
    assert PRESETS["note-best"].model.hidden == 640


def test_overrides_are_typed():
    config = apply_overrides(preset("note-best"), ["lr=0.001", "model.hidden=30", "epochs=2", "amp=true",
                                                   "model.compositing=max", "aux_angle=0"])
    assert (config.lr, config.model.hidden, config.epochs, config.amp) == (0.001, 30, 2, True)
    assert config.model.compositing == "max" and config.aux.angle == 0.0 and isinstance(config.aux.angle, float)


@pytest.mark.parametrize("pair, message", [
    ("learning_rate=1", "unknown config key 'learning_rate'.*model.hidden"),
    ("model.size=3", "unknown config key 'model.size'"),
    ("epochs=two", "epochs = 'two' is not a int"),
    ("epochs=1.5", "is not a int"),
    ("lr=-1", "lr = -1.0 is invalid"),
    ("model.kind=transformer", "model.kind = 'transformer' is invalid"),
    ("model.dropout=1", "model.dropout = 1.0 is invalid"),
    ("lr", "is not key=value"),
    ("save_dtype=int4", "save_dtype = .int4. is invalid"),
    # the groups' keys are named dotted, also when set by their flat name
    ("paired.size=3", "unknown config key 'paired.size'.*paired.batch.*augment.noise"),
    ("paired=3", "unknown config key 'paired'"),
    ("nope.batch=3", "unknown config key 'nope.batch'"),
    ("paired.batch=-1", "paired.batch = -1 is invalid"),
    ("paired_batch=-1", "paired.batch = -1 is invalid"),
    ("paired.every=0", "paired.every = 0 is invalid"),
    ("paired.holdout=24", "paired.holdout = 24 is invalid"),
    ("paired.dtw_gamma=0", "paired.dtw_gamma = 0.0 is invalid"),
    ("augment.noise=1", "augment.noise = 1.0 is invalid"),
    ("aux.distance=-0.1", "aux.distance = -0.1 is invalid"),
    ("human.every=-1", "human.every = -1 is invalid"),
    ("human.lr=fast", "human.lr = 'fast' is not a float"),
    ("batch_size=0", "batch_size = 0 is invalid"),
    ("subset=-1", "subset = -1 is invalid"),
])
def test_bad_overrides_are_user_errors(pair, message):
    with pytest.raises(UserError, match=message):
        apply_overrides(preset("note-soft-line"), [pair])


def test_unknown_config_name():
    with pytest.raises(UserError, match="unknown config 'note-nope'.*note-best"):
        preset("note-nope")


def test_config_files(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('lr = 0.002\nsubset = 100\n[model]\nhidden = 20\nrasteriser = "soft-line"\n')
    config = apply_file(preset("note-ensemble"), toml)
    assert (config.lr, config.subset, config.model.hidden) == (0.002, 100, 20)
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
    config = apply_overrides(preset("note-best"), ["model.hidden=70"])
    assert from_dict(json.loads(json.dumps(to_dict(config)))) == config


def test_human_best_fine_tunes_note_best_on_the_paired_human_digits():
    config = preset("human-best").validate()
    assert config.init_model == "note-best" and config.paired.batch > 0
    assert config.paired.point_weight > 0 and config.paired.dtw_weight > 0 and config.paired.pen_weight > 0
    assert config.paired.holdout == 4
    # same weights as note-best (so they load), only the input blurred
    assert dataclasses.replace(config.model, input_blur=0.0) == PRESETS["note-best"].model
    assert config.model.input_blur == 1.0
    assert from_dict(to_dict(config)) == config
    # human-routed: the same fine-tuning of the routed ensemble (human-best until issue 12)
    routed = preset("human-routed").validate()
    assert routed.init_model == "runs/routed-ensemble/model.safetensors"
    assert dataclasses.replace(routed.model, input_blur=0.0) == PRESETS["routed-ensemble"].model
    assert (routed.paired, routed.aux, routed.lr, routed.epochs) == (config.paired, config.aux, config.lr, config.epochs)


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


AUTHOR = {"model.feedback": "raw", "model.init": "tensorflow", "reshuffle": False}
# Every preset's values that differ from TrainConfig() as they were before the settings were
# grouped (flat keys), computed from the flat TrainConfig of 85b1e73.
FLAT_PRESETS = {
    # (and, since issue 12, the 3x512 ones train as the note's author did: AUTHOR)
    "note-learned-line": {"model.rasteriser": "learned-line", **AUTHOR},
    "note-soft-line": {"model.third_activation": "exp", **AUTHOR},
    "note-dropout": {"model.dropout": 0.3, "model.third_activation": "exp", **AUTHOR},
    "note-max": {"model.compositing": "max", "model.third_activation": "exp", **AUTHOR},
    "note-aux-losses": {"aux_angle": 0.01, "aux_distance": 0.01, "model.third_activation": "exp", **AUTHOR},
    # (issue 12: the ensemble presets became the repository's masked model, the routed one renamed)
    "note-ensemble": {"aux_angle": 0.01, "aux_distance": 0.01, "lr": 0.001, "model.feedback": "raw",
                      "model.hidden": 640, "model.init": "tensorflow", "model.kind": "masked",
                      "model.third_activation": "exp", "reshuffle": False},
    "note-best": {"aux_angle": 0.01, "aux_distance": 0.01, "human_every": 1, "human_lr": 0.0005,
                  "human_pretrain_steps": 100, "lr": 0.001, "model.feedback": "raw", "model.hidden": 640,
                  "model.init": "tensorflow", "model.kind": "masked", "model.third_activation": "exp",
                  "reshuffle": False},
    "routed-ensemble": {"aux_angle": 0.01, "aux_distance": 0.01, "human_every": 1, "human_pretrain_steps": 100,
                        "model.hidden": 64, "model.kind": "ensemble", "model.third_activation": "exp"},
    "human-routed": {"aux_angle": 0.01, "aux_distance": 0.01, "dtw_weight": 1.0,
                     "init_model": "runs/routed-ensemble/model.safetensors", "lr": 0.001,
                     "model.hidden": 64, "model.input_blur": 1.0, "model.kind": "ensemble",
                     "model.third_activation": "exp", "paired_batch": 128, "pen_weight": 0.1},
    # (issue 12: human-best fine-tunes the masked note-best, the routed one renamed human-routed)
    "human-best": {"aux_angle": 0.01, "aux_distance": 0.01, "dtw_weight": 1.0, "init_model": "note-best",
                   "lr": 0.001, "model.feedback": "raw", "model.hidden": 640, "model.init": "tensorflow",
                   "model.input_blur": 1.0, "model.kind": "masked", "model.third_activation": "exp",
                   "paired_batch": 128, "pen_weight": 0.1},
    "human-proposals": {"aux_angle": 0.01, "aux_distance": 0.01, "dtw_weight": 1.0, "epochs": 2,
                        "init_model": "runs/human-routed/model.safetensors", "lr": 0.001, "model.hidden": 64,
                        "model.input_blur": 1.0, "model.kind": "proposals", "model.proposals": 4, "model.third_activation": "exp",
                        "paired_batch": 128, "pen_weight": 0.1, "paired.order_steps": 1874},
}


def _flat(config) -> dict:
    """``config``'s values under the flat keys of before the groups (``model.*`` as they were)."""
    old = {dotted: flat for flat, dotted in FLAT_KEYS.items()}
    values = {}
    for group, value in to_dict(config).items():
        for name, inner in (value.items() if isinstance(value, dict) else [(None, value)]):
            key = group if name is None else f"{group}.{name}"
            values[old.get(key, key)] = inner
    return values


def test_every_preset_keeps_its_values():
    assert list(FLAT_PRESETS) == list(PRESETS)
    defaults = _flat(TrainConfig())
    for name, config in PRESETS.items():
        values = _flat(config)
        assert {key: value for key, value in values.items() if defaults[key] != value} == FLAT_PRESETS[name], name
        changed = apply_overrides(TrainConfig(), [f"{key}={json.dumps(value)}" for key, value in FLAT_PRESETS[name].items()])
        assert changed == config, name


def test_dotted_and_flat_keys_set_the_same_field():
    dotted = apply_overrides(preset("note-best"), ["paired.batch=64", "paired.recon_weight=0.5", "human.lr=0.002",
                                                  "aux.angle=0", "augment.copies=2", "augment.noise=0.1"])
    flat = apply_overrides(preset("note-best"), ["paired_batch=64", "paired_recon=0.5", "human_lr=0.002",
                                                "aux_angle=0", "augment_copies=2", "augment_noise=0.1"])
    assert dotted == flat
    assert (dotted.paired.batch, dotted.paired.recon_weight, dotted.human.lr, dotted.aux.angle) == (64, 0.5, 0.002, 0.0)
    assert (dotted.augment.copies, dotted.augment.noise) == (2, 0.1)
    for key, path in FLAT_KEYS.items():   # every old key names the field of its dotted key
        group, name = path.split(".")
        config = preset("note-best")
        apply_override(config, key, getattr(dotted, group).__dict__[name])
        assert getattr(getattr(config, group), name) == getattr(getattr(dotted, group), name), key


def test_config_files_take_group_tables_and_flat_keys(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text("paired_batch = 32\n[paired]\ndtw_weight = 1.0\n[aux]\nangle = 0.5\n")
    config = apply_file(preset("note-best"), toml)
    assert (config.paired.batch, config.paired.dtw_weight, config.aux.angle) == (32, 1.0, 0.5)


def test_old_flat_run_configs_load():
    """config.json and checkpoints of earlier runs hold flat dicts, some without the newer keys."""
    old = {"model": {"kind": "ensemble", "hidden": 64}, "lr": 0.0005, "aux_distance": 0.01, "aux_angle": 0.01,
           "human_pretrain_steps": 100, "human_every": 1, "paired_batch": 0, "point_weight": 1.0,
           "paired_recon": 0.0, "augment_copies": 0}   # no human_lr, reshuffle (older than them)
    config = from_dict(old)
    assert (config.human.pretrain_steps, config.human.every, config.human.lr, config.reshuffle) == (100, 1, 0.0, True)
    assert from_dict(to_dict(config)) == config
    with pytest.raises(UserError, match="unknown config key 'hidden_size'"):
        from_dict({**old, "hidden_size": 3})


@pytest.mark.parametrize("name", ["note-best", "human-best"])
def test_shipped_weights_train_configs_load(name):
    from mnist_handwriting.paths import WEIGHTS_DIR

    described = json.loads((WEIGHTS_DIR / f"{name}.json").read_text())
    config = from_dict(described["train"])
    expected = preset(name)
    assert (config.model, config.aux, config.human, config.paired) == (expected.model, expected.aux, expected.human,
                                                                     expected.paired)
