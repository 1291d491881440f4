"""ProposalEnsemble (issue 16): K drawings of one image with their odds; its top proposal is what it draws."""

import pytest
import torch

from mnist_handwriting.errors import UserError
from mnist_handwriting.models import DigitEnsemble, ModelConfig, ProposalEnsemble, build_model
from mnist_handwriting.models.registry import load_model, save_model

CONFIG = dict(hidden=8, points=6, third_activation="exp")


def proposals(count=3, seed=0):
    torch.manual_seed(seed)
    return ProposalEnsemble(ModelConfig(kind="proposals", proposals=count, **CONFIG))


def batch():
    generator = torch.Generator().manual_seed(1)
    return torch.rand(5, 28, 28, generator=generator), torch.tensor([5, 5, 8, 0, 1])


def test_forward_is_the_most_probable_proposal():
    model = proposals()
    with torch.no_grad():
        model.odds_out[:, -1] = torch.tensor([0.0, 2.0, 1.0])   # proposal 1 most probable for every class
        model.odds_out[8, -1] = torch.tensor([0.0, 1.0, 3.0])   # 8s: proposal 2
    images, labels = batch()
    raw, logits = model.proposals(images, labels)
    assert raw.shape == (5, 3, 6, 3) and logits.shape == (5, 3)
    assert logits.argmax(dim=1).tolist() == [1, 1, 2, 1, 1]
    torch.testing.assert_close(model(images, labels), raw[torch.arange(5), logits.argmax(dim=1)])


def test_proposals_differ_and_their_probabilities_sum_to_one():
    model = proposals()
    images, labels = batch()
    points, probabilities = model.draw_proposals(images, labels)
    assert points.shape == (5, 3, 6, 3) and probabilities.shape == (5, 3)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(5))
    assert ((points[:, 0, :, :2] - points[:, 1, :, :2]).abs().amax(dim=(1, 2)) > 1e-5).all()   # K separate random nets
    torch.testing.assert_close(points[:, 0], model.draw(images, labels))   # even odds at first: proposal 0


def test_a_proposals_model_started_from_an_ensemble_first_draws_what_it_draws(tmp_path):
    from mnist_handwriting.train.loop import init_from

    torch.manual_seed(3)
    ensemble = DigitEnsemble(ModelConfig(kind="ensemble", **CONFIG))
    path = tmp_path / "ensemble.safetensors"
    save_model(ensemble, path, metrics={}, command="test")
    model = proposals(4)
    init_from(model, str(path))
    images, labels = batch()
    torch.testing.assert_close(model(images, labels), ensemble(images, labels))
    raw, _ = model.proposals(images, labels)
    for k in range(4):   # every proposal starts as the ensemble; the drawing-order clusters set them apart
        torch.testing.assert_close(raw[:, k], ensemble(images, labels))


def test_saved_proposals_load_with_their_odds(tmp_path):
    model = proposals()
    with torch.no_grad():
        model.odds_out.normal_()
    path = tmp_path / "proposals.safetensors"
    save_model(model, path, metrics={}, command="test")
    loaded = load_model(path)
    assert isinstance(loaded, ProposalEnsemble) and loaded.config.proposals == 3
    images, labels = batch()
    for mine, theirs in zip(model.draw_proposals(images, labels), loaded.draw_proposals(images, labels)):
        torch.testing.assert_close(mine, theirs)


@pytest.mark.parametrize("changes", [dict(kind="proposals", proposals=1), dict(kind="ensemble", proposals=3),
                                     dict(kind="proposals", proposals=0)])
def test_the_proposal_count_must_fit_the_kind(changes):
    with pytest.raises(UserError, match="model.proposals"):
        build_model(ModelConfig(**{**CONFIG, **changes}))
