"""Tests for dlbook.protocol: the validation gate and the test report that chapters 2D-2F share."""

import pytest
import torch
from torch import nn

from dlbook import protocol
from dlbook.experiments import Recipe, Run
from dlbook.models import MLP
from dlbook.preprocess import MnistSplits
from dlbook.stats import accuracy_over_seeds, wilson_interval
from dlbook.train import History
from sphinx_claims import ClaimWarning

RECIPE = Recipe(network=MLP(hidden_sizes=(2,)), n_epochs=1, batch_size=1, lr=0.1)


class Sign(nn.Module):
    """Predicts class 1 for inputs whose first feature is positive, else class 0."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * torch.stack([-x[:, 0], x[:, 0]], dim=1)


def _runs(val_accs: list[float]) -> list[Run]:
    return [Run(recipe=RECIPE, seed=s, model=Sign(), history=History(val_acc=[0.5, acc]))
            for s, acc in enumerate(val_accs)]


def _data() -> MnistSplits:
    x = torch.tensor([[1.0], [1.0], [-1.0], [-1.0]])
    y = torch.tensor([1, 0, 0, 0])  # the model is right on 3 of 4
    return MnistSplits(x, y, x, y, x, y, "four")


def test_the_gate_passes_at_the_tolerance_and_fails_below_it(capsys):
    mean, std = protocol.validation_gate(_runs([0.978, 0.980]), target=0.981)
    assert mean == pytest.approx(0.979) and std == pytest.approx(0.002 / 2 ** 0.5)
    assert "the gate asks for 97.90%" in capsys.readouterr().out
    with pytest.warns(ClaimWarning, match="does NOT hold.*Validation gate"):  # the book build then stops
        protocol.validation_gate(_runs([0.975, 0.977]), target=0.981)


def test_the_report_reads_every_seed_on_the_test_set():
    data, runs = _data(), _runs([0.9, 0.9])
    report = protocol.report_against_target(runs, data, 0.7, ("original", 0.8), "book", (0.9, 0.01))
    assert report.accs == (0.75, 0.75) and report.std == 0.0
    assert report.interval == accuracy_over_seeds(list(report.correct))
    assert report.original_interval == wilson_interval(0.8, 4)
    rows = report.table.splitlines()
    assert "| original | none held out | 80.00% |" in rows[3] and rows[4].startswith("| book, mean ± std over 2 seeds")


@pytest.mark.parametrize("n_runs", [0, 1])
def test_one_seed_is_not_enough(n_runs):
    with pytest.raises(ValueError, match="two seeds"):
        protocol.validation_gate(_runs([0.9] * n_runs), target=0.9)
    with pytest.raises(ValueError, match="two seeds"):
        protocol.report_against_target(_runs([0.9] * n_runs), _data(), 0.9, ("o", 0.9), "b", (0.9, 0.0))
