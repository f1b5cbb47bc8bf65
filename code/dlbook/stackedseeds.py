"""Several seeds of one MLP recipe trained together as one stacked network, each seed independently.

The seeds' weights are stacked along a new first dimension and every layer is one batched matrix
product (:func:`torch.baddbmm`), so one Python step trains all seeds. The loss is the sum of the
seeds' own losses, so each seed's slice of a weight gets exactly its own gradient; AdamW and the
one-cycle schedule act element by element. Each seed starts from the weights
the recipe's network builder draws after :func:`dlbook.runtime.seed_everything` and visits
the training images in the order :func:`dlbook.train.train` would draw for it. So seed ``s`` ends
where :func:`dlbook.experiments.train_model` would end it, up to the rounding of the batched products
(``tests/test_stackedseeds.py`` checks this). Small networks train several times faster this way,
because the per-step cost of Python and of the optimizer is paid once for all seeds.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.experiments import Recipe
from dlbook.models import MLP
from dlbook.preprocess import MnistSplits
from dlbook.runtime import generator, seed_everything
from dlbook.store import cached
from dlbook.train import EVAL_BATCH_SIZE


class StackedMLP(nn.Module):
    """The ReLU MLPs ``models`` (same shapes, no dropout) as one network with a leading seed dimension.

    Input ``(S, B, n_in)``, one batch per seed; output ``(S, B, n_out)`` logits.
    """

    def __init__(self, models: Sequence[nn.Sequential]) -> None:
        super().__init__()
        if not models:
            raise ValueError("models must name at least one network")
        layers = [[m for m in model if isinstance(m, nn.Linear)] for model in models]
        kinds = [[type(m) for m in model] for model in models]
        if any(k != kinds[0] for k in kinds) or any(t not in (nn.Linear, nn.ReLU) for t in kinds[0]):
            raise ValueError("expected ReLU MLPs of one architecture without dropout")
        # weights (S, n_out, n_in), as nn.Linear keeps them; biases (S, n_out, 1)
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([ls[i].weight.detach() for ls in layers])) for i in range(len(layers[0])))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([ls[i].bias.detach()[:, None] for ls in layers]))
            for i in range(len(layers[0])))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # features first, (S, n, B): the products then have the batch as their long side, which
        # is several times faster on a CPU for narrow layers than (S, B, n_in) @ (S, n_in, n)
        h = x.transpose(1, 2)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, w, h)
            if i < last:
                h = F.relu(h)
        return h.transpose(1, 2)

    def state_dicts(self) -> list[dict[str, torch.Tensor]]:
        """Return each seed's weights as the ``state_dict`` of the MLP it was built from (on the CPU)."""
        names = [2 * i for i in range(len(self.weights))]  # Linear layers sit at 0, 2, 4 ... of build_mlp
        return [{**{f"{n}.weight": w[s].detach().cpu().clone() for n, w in zip(names, self.weights)},
                 **{f"{n}.bias": b[s, :, 0].detach().cpu().clone() for n, b in zip(names, self.biases)}}
                for s in range(self.weights[0].shape[0])]


def train_stacked(recipe: Recipe, x: torch.Tensor, y: torch.Tensor, seeds: Sequence[int],
                  dtype: torch.dtype = torch.float32) -> tuple[StackedMLP, list[list[float]]]:
    """Train ``recipe`` (an MLP without dropout) once per seed on flat inputs ``x`` ``(N, n_in)``, labels ``y``.

    Returns the stacked network (in eval mode) and each seed's training loss per epoch (averaged
    over the epoch's batches). Every seed is trained as :func:`dlbook.experiments.train_model` would
    train it on its own; ``dtype`` is for tests (float64 makes the match closer).
    """
    if not isinstance(recipe.network, MLP) or recipe.network.dropout:
        raise ValueError(f"expected an MLP recipe without dropout, got {recipe.key()}")
    if x.dim() != 2 or len(x) != len(y) or len(x) == 0 or not seeds:
        raise ValueError(f"expected flat inputs (N, n_in) with N labels and some seeds, got {tuple(x.shape)}, "
                         f"{len(y)} labels and seeds {list(seeds)}")
    models = []
    for seed in seeds:
        seed_everything(seed)  # the initialization train_model draws for this seed
        models.append(recipe.network.build((x.shape[1],)))
    net = StackedMLP(models).to(dtype)
    x = x.to(dtype)
    # fused: the same update as train_model's AdamW in one kernel per step (only the rounding can differ)
    optimizer = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay, fused=True)
    steps = recipe.n_epochs * -(-len(x) // recipe.batch_size)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe.lr, total_steps=steps)
    rngs = [generator(seed) for seed in seeds]  # the shuffling train() draws for each seed
    n_seeds, losses = len(seeds), [[] for _ in seeds]
    net.train()
    for _ in range(recipe.n_epochs):
        order = torch.stack([torch.randperm(len(x), generator=rng) for rng in rngs])  # (S, N)
        loss_sum = torch.zeros(n_seeds, dtype=torch.float64)
        for start in range(0, len(x), recipe.batch_size):
            idx = order[:, start : start + recipe.batch_size]
            # index_select is several times faster than x[idx] on a CPU
            xb = torch.index_select(x, 0, idx.flatten()).view(n_seeds, -1, x.shape[1])  # (S, B, n_in)
            yb = y[idx]  # (S, B)
            logits = net(xb)
            per_seed = F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="none",
                                       label_smoothing=recipe.label_smoothing).view(n_seeds, -1).mean(1)
            optimizer.zero_grad(set_to_none=True)
            per_seed.sum().backward()  # each seed's slice gets the gradient of its own loss
            optimizer.step()
            scheduler.step()
            loss_sum += per_seed.detach().double() * idx.shape[1]
        for s in range(n_seeds):
            losses[s].append(float(loss_sum[s]) / len(x))
    return net.eval(), losses


@torch.inference_mode()
def predict_stacked(net: StackedMLP, x: torch.Tensor, batch_size: int = EVAL_BATCH_SIZE) -> torch.Tensor:
    """Return every seed's predicted class of each input of ``x`` ``(N, n_in)``: shape ``(S, N)``."""
    n_seeds, dtype = net.weights[0].shape[0], net.weights[0].dtype
    return torch.cat([net(x[s : s + batch_size].to(dtype).expand(n_seeds, -1, -1)).argmax(-1)
                      for s in range(0, len(x), batch_size)], dim=1)


def _stored(recipe: Recipe, data: MnistSplits, seeds: Sequence[int]) -> dict:
    net, losses = train_stacked(recipe, data.x_train, data.y_train, seeds)
    return {"states": net.state_dicts(), "train_loss": losses}


def stacked_seeds(recipe: Recipe, data: MnistSplits, seeds: Sequence[int]) -> tuple[StackedMLP, list[list[float]]]:
    """Train (or load from :func:`dlbook.store.cached`) ``recipe`` for every seed, stacked; see :func:`train_stacked`.

    The store name covers the recipe, the data (``data.source``) and the seeds. Returns the
    stacked network in eval mode on the CPU and each seed's training loss per epoch. The
    validation and test splits are not touched.
    """
    name = f"stacked-{recipe.key()}-{data.source}-s{'-'.join(map(str, seeds))}"
    stored = cached(name, lambda: _stored(recipe, data, seeds), depends_on=recipe.depends_on(__name__))
    models = []
    for state in stored["states"]:
        model = recipe.network.build((data.x_train.shape[1],))
        model.load_state_dict(state)
        models.append(model)
    return StackedMLP(models).eval(), stored["train_loss"]
