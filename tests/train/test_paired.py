"""Paired human data (issue 7): the writer split never leaks, augmentation keeps image and target paired,
the human-best preset learns, init_model copies weights."""

import numpy as np
import pytest
import torch

from mnist_handwriting.data.datasets import Locations
from mnist_handwriting.data.digits import DigitSet
from mnist_handwriting.data.human import DEV_WRITERS, load_pendigits
from mnist_handwriting.data.preprocess import is_thinned
from mnist_handwriting.errors import UserError
from mnist_handwriting.eval.metrics import chamfer_distance
from mnist_handwriting.models import build_model
from mnist_handwriting.render.exact import draw_trajectory
from mnist_handwriting.data.human import thick_thin, thick_variant, thin_render
from mnist_handwriting.train.augment import affine_jitter, augment, skeleton_noise
from mnist_handwriting.train.config import apply_overrides, preset
from mnist_handwriting.train.data import batch_indices
from mnist_handwriting.train.loop import Trainer, init_from, train
from mnist_handwriting.train.paired import PairedHuman, paired_set, split_writers


def hook(shift=0.0):
    """A two-stroke digit-like trajectory ``(7, 3)``."""
    points = np.array([[0.3, 0.25, 0], [0.6, 0.2, 0], [0.65, 0.45, 0], [0.35, 0.75, 1],
                       [0.4, 0.5, 0], [0.55, 0.55, 0], [0.7, 0.7, 1]], np.float32)
    points[:, :2] += shift
    return points


def writer_set(writers):
    """One synthetic digit per writer id in ``writers``."""
    trajectories = [hook(0.01 * (k % 5)) for k in range(len(writers))]
    return DigitSet(images=np.stack([thin_render(t) for t in trajectories]),
                    labels=np.arange(len(writers)) % 10, points=np.concatenate(trajectories),
                    offsets=np.arange(len(writers) + 1) * 7, writers=np.asarray(writers, np.int64))


def test_split_keeps_development_writers_out_and_holds_out_the_last_training_writers():
    digits = writer_set(np.repeat(np.arange(1, 31), 3))
    train_part, val = split_writers(digits, holdout=4)
    assert set(train_part.writers) == set(range(1, 21))
    assert set(val.writers) == set(range(21, 25))
    everything, empty = split_writers(digits, holdout=0)
    assert set(everything.writers) == set(range(1, 25)) and len(empty) == 0


def test_no_development_writer_reaches_a_training_batch():
    digits = writer_set(np.repeat(np.arange(1, 31), 4))
    paired = paired_set(split_writers(digits, 0)[0], 8, "cpu", copies=2, affine=0.05, width=3.0, noise=0.05,
                        progress=False)
    assert len(paired) == 3 * 24 * 4
    seen = set()
    for step in range(100):
        seen |= set(paired.take(batch_indices(step, len(paired), 16, seed=0)).writers.tolist())
    assert seen == set(range(1, 25))


@pytest.mark.slow
def test_training_batches_never_contain_development_writers(tmp_path, data_dir, cache_dir, monkeypatch):
    assert set(np.unique(load_pendigits(data_dir, cache_dir).writers)) == set(range(1, 31))
    seen = []
    original = Trainer.paired_step

    def recording(self, batch, by_order=False):
        seen.append(batch.writers.cpu().numpy())
        return original(self, batch, by_order)

    monkeypatch.setattr(Trainer, "paired_step", recording)
    config = apply_overrides(preset("human-best"), ["init_model=", "model.hidden=10", "model.points=6", "subset=64",
                                                    "batch_size=32", "paired_batch=256", "epochs=4",
                                                    "paired_pretrain_steps=2", "augment_copies=0", "eval_digits=0"])
    summary = train(config, tmp_path / "run", locations=Locations(data_dir, cache_dir), tensorboard=False)
    writers = np.concatenate(seen)
    assert len(seen) == 2 + 8
    assert not np.isin(writers, list(DEV_WRITERS)).any()
    assert not np.isin(writers, [21, 22, 23, 24]).any()         # the validation writers are held out too
    assert summary["paired_validation_digits"] > 0


def test_affine_jitter_of_zero_is_the_identity_and_moves_points_by_at_most_the_amount():
    points = hook()
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(affine_jitter(points, rng, 0.0), points)
    moved = affine_jitter(points, rng, 0.05)
    assert np.abs(moved[:, :2] - points[:, :2]).max() <= 0.05 * (1 + 2 * 0.3) + 1e-6   # shift + |E| * |x - c|
    assert not np.allclose(moved, points)
    np.testing.assert_array_equal(moved[:, 2], points[:, 2])


def test_thick_then_thinned_render_is_a_thin_skeleton_near_the_pen_path():
    points = hook()
    image = thick_thin(points, 3.0)
    assert image.dtype == np.uint8 and set(np.unique(image)) == {0, 255}
    assert is_thinned(image)
    assert chamfer_distance(image[None] > 0, thin_render(points)[None] > 0)[0] < 1.0


def test_skeleton_noise_moves_ink_only_next_to_ink():
    image = thin_render(hook())
    noisy = skeleton_noise(image, np.random.default_rng(0), 0.2)
    ink, changed = image > 0, (noisy > 0) != (image > 0)
    assert changed.any()
    assert abs(int((noisy > 0).sum()) - int(ink.sum())) <= 1
    grown = np.pad(ink, 1)
    near = np.zeros_like(ink)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= grown[1 + dy:29 + dy, 1 + dx:29 + dx]
    assert near[changed].all()
    np.testing.assert_array_equal(skeleton_noise(image, np.random.default_rng(0), 0.0), image)


def test_thick_variant_replaces_only_the_images_by_rethinned_thick_renders():
    digits = writer_set([25, 26, 27])
    thick = thick_variant(digits, 2.5)
    np.testing.assert_array_equal(thick.points, digits.points)
    np.testing.assert_array_equal(thick.labels, digits.labels)
    for image, points in zip(thick.images, [digits.trajectory(i) for i in range(3)]):
        np.testing.assert_array_equal(image, thick_thin(points, 2.5))
    assert not np.array_equal(thick.images, digits.images)


def test_augment_keeps_image_and_target_paired():
    points, image = augment(hook(), np.random.default_rng(3), affine=0.05)
    np.testing.assert_array_equal(image, thin_render(points))
    points, image = augment(hook(), np.random.default_rng(3), affine=0.05, width=3.0, noise=0.05)
    assert chamfer_distance(image[None] > 0, (draw_trajectory(points) > 0.5)[None])[0] < 1.5


def tiny_paired(points=8):
    trajectories = np.stack([hook(0.02 * k) for k in range(6)])
    from mnist_handwriting.strokes import resample

    targets = np.stack([resample(t, points) for t in trajectories])
    images = np.stack([draw_trajectory(t) for t in trajectories])
    return PairedHuman(torch.from_numpy(images), torch.arange(6) % 10, torch.from_numpy(targets),
                       torch.ones(6, dtype=torch.int64))


def test_human_best_reduces_its_paired_losses_on_a_tiny_batch():
    config = apply_overrides(preset("human-best"), ["model.hidden=80", "model.points=8", "lr=0.01",
                                                    "paired_recon=1.0"])
    torch.manual_seed(0)
    trainer = Trainer(config, build_model(config.model), torch.device("cpu"))
    batch = tiny_paired()
    first = trainer.paired_step(batch)
    assert set(first) == {"point", "dtw", "pen", "paired_recon"}
    for _ in range(30):
        last = trainer.paired_step(batch)
    for name in first:
        assert last[name] < first[name], name


def test_init_from_copies_weights_across_point_counts_and_rejects_other_sizes():
    config = apply_overrides(preset("human-best"), ["model.points=32"])
    model = build_model(config.model)
    init_from(model, "human-best")
    from mnist_handwriting.models.registry import load_model

    source = load_model("human-best")
    for name, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[name], value)
    assert model(torch.zeros(2, 28, 28), torch.tensor([1, 7])).shape == (2, 32, 3)
    with pytest.raises(UserError, match="another architecture"):
        init_from(build_model(apply_overrides(preset("human-best"), ["model.hidden=20"]).model), "human-best")


def test_paired_training_without_any_loss_weight_is_refused():
    with pytest.raises(UserError, match="every paired loss weight is 0"):
        apply_overrides(preset("human-best"), ["point_weight=0", "dtw_weight=0", "pen_weight=0"])


def proposals_trainer(*extra):
    config = apply_overrides(preset("human-proposals"), ["model.hidden=8", "model.points=8", "model.proposals=3",
                                                         *extra])
    torch.manual_seed(0)
    return Trainer(config, build_model(config.model), torch.device("cpu"))


def test_only_the_winning_proposal_learns_the_trajectory_when_it_takes_it_all():
    trainer = proposals_trainer("paired.share=0", "paired.odds_weight=0", "lr=0.01")
    model, batch = trainer.model, tiny_paired()
    with torch.no_grad():
        raw, _ = model.proposals(batch.images, batch.labels)
        errors = ((raw[..., :2] - batch.targets[:, None, :, :2]) ** 2).mean(dim=(2, 3))   # point loss only, below
    trainer.config.paired.dtw_weight = trainer.config.paired.pen_weight = 0.0
    before = [drawer.static.detach().clone() for drawer in model.drawers]
    trainer.paired_step(batch)
    moved = torch.stack([(drawer.static.detach() - old).abs().amax(dim=(1, 2)) > 0           # (10, K): which
                         for drawer, old in zip(model.drawers, before)], dim=1)               # proposals changed
    winners = errors.argmin(dim=1)
    for label in range(10):
        won = set(winners[batch.labels == label].tolist())
        assert set(torch.nonzero(moved[label])[:, 0].tolist()) == won, label


def test_the_odds_head_learns_which_proposal_wins():
    trainer = proposals_trainer("lr=0.01", "paired.odds_weight=1")
    for name, parameter in trainer.model.named_parameters():   # the drawings stay put, so the winners do
        parameter.requires_grad_(name.startswith("odds"))
    batch = tiny_paired()
    first = trainer.paired_step(batch)
    assert set(first) == {"point", "dtw", "pen", "odds"}
    assert first["odds"] == pytest.approx(np.log(3), abs=1e-5)   # even odds at first
    for _ in range(30):
        last = trainer.paired_step(batch)
    assert last["odds"] < 0.1 * first["odds"]


def test_a_proposals_model_starts_from_human_routed(tmp_path):
    """human-proposals copies human-routed's run (not shipped): here a fresh routed model saved in its place."""
    from mnist_handwriting.models.registry import save_model

    trainer = proposals_trainer()
    config = apply_overrides(preset("human-proposals"), [])
    assert config.init_model == "runs/human-routed/model.safetensors"
    torch.manual_seed(1)
    routed = build_model(preset("human-routed").model)
    save_model(routed, tmp_path / "routed.safetensors", metrics={}, command="test")
    model = build_model(config.model)
    init_from(model, str(tmp_path / "routed.safetensors"))
    images = tiny_paired(20).images
    labels = torch.tensor([5, 8, 0, 9, 2, 7])
    with torch.no_grad():
        torch.testing.assert_close(model(images, labels), routed(images, labels))
    assert trainer.proposing and not Trainer(apply_overrides(preset("human-best"), ["model.hidden=10"]),
                                             build_model(apply_overrides(preset("human-best"),
                                                                         ["model.hidden=10"]).model),
                                             torch.device("cpu")).proposing
