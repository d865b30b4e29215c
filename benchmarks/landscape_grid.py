"""landscape_grid: loss-landscape grid evaluation, points/s, mlanim vs the `loss-landscapes`
package (a benchmark-only dependency: pip install loss-landscapes) on the same model, data and
plane: a digits MLP [64, 32], all 1,797 samples, a filter-normalised random plane, 21/41/81
points per axis. The grid values must agree within 1e-4, and each side's values are measured
against the same points worked out in float64 (150 of each grid's points a repeat). Targets:
>= 2.0x the peer at 41x41 and 81x81, within 1e-6 of float64.

Run: .venv/bin/python benchmarks/landscape_grid.py
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_machine

from mlanim.analysis import landscape
from mlanim.analysis.landscape import Directions, evaluate_plane
from mlanim.models import mlp

REPEATS = 3
EXACT_POINTS = 150  # grid points a repeat checks against a float64 evaluation


def peer_plane(model, x, y, steps: int, seed: int):
    """The peer's grid, and the exact plane it used (rebuilt with its own helpers)."""
    import loss_landscapes
    import loss_landscapes.metrics
    from loss_landscapes.model_interface.model_parameters import orthogonal_to, rand_u_like
    from loss_landscapes.model_interface.model_wrapper import wrap_model

    torch.manual_seed(seed)
    metric = loss_landscapes.metrics.Loss(torch.nn.functional.cross_entropy, x, y)
    start = time.perf_counter()
    with torch.no_grad():
        values = loss_landscapes.random_plane(model, metric, distance=1, steps=steps,
                                              normalization="filter", deepcopy_model=True)
    elapsed = time.perf_counter() - start

    torch.manual_seed(seed)  # same draws as inside random_plane
    center = wrap_model(copy.deepcopy(model)).get_module_parameters()
    one, two = rand_u_like(center), None
    two = orthogonal_to(one)
    one.filter_normalize_(center)
    two.filter_normalize_(center)
    one.mul_(((center.model_norm() / 1) / steps) / one.model_norm())
    two.mul_(((center.model_norm() / 1) / steps) / two.model_norm())
    names = [n for n, _ in model.named_parameters()]
    directions = Directions(dict(zip(names, one.parameters, strict=True)),
                            dict(zip(names, two.parameters, strict=True)))
    origin = {n: p.detach().clone() for n, p in model.named_parameters()}
    # the peer walks column i along `one`; even columns sit one step further along `two`
    coords = np.array([(i - steps / 2, (j + 1 if i % 2 == 0 else j) - steps / 2)
                       for i in range(steps) for j in range(steps)])
    return values, elapsed, origin, directions, coords


def exact_losses(model, origin, directions, x, y, coords: np.ndarray) -> np.ndarray:
    """The loss at each of ``coords`` worked out in float64 (parameters, forward pass, mean):
    what both float32 evaluations are measured against."""
    twin = copy.deepcopy(model).double()
    losses = []
    with torch.no_grad():
        for a, b in coords:
            for name, param in twin.named_parameters():
                param.copy_(origin[name].double() + a * directions.one[name].double()
                            + b * directions.two[name].double())
            losses.append(torch.nn.functional.cross_entropy(twin(x.double()), y).item())
    return np.array(losses)


def main() -> None:
    print_machine()
    torch.manual_seed(0)
    data, target = load_digits(return_X_y=True)
    x = torch.tensor(data / 16.0, dtype=torch.float32)
    y = torch.tensor(target)
    model = mlp(64, [64, 32], 10, "relu")
    torch.optim.Adam(model.parameters(), lr=0.01)  # an untrained model is as good as any
    ratios, exact_worst = {}, 0.0
    for steps in (21, 41, 81):
        peer_times, ours_times = [], []
        worst, ours_off, peer_off = 0.0, 0.0, 0.0
        for repeat in range(REPEATS):  # interleaved, so machine noise hits both alike
            values, elapsed, origin, directions, coords = peer_plane(model, x, y, steps, repeat)
            peer_times.append(elapsed)
            start = time.perf_counter()
            ours = evaluate_plane(model, origin, directions, x, y, coords)
            ours_times.append(time.perf_counter() - start)
            worst = max(worst, float(np.abs(ours - values.reshape(-1)).max()))
            sample = np.arange(0, len(coords), max(1, len(coords) // EXACT_POINTS))
            exact = exact_losses(model, origin, directions, x, y, coords[sample])
            ours_off = max(ours_off, float(np.abs(ours[sample] - exact).max()))
            peer_off = max(peer_off, float(np.abs(values.reshape(-1)[sample] - exact).max()))
        peer_rate = steps * steps / statistics.median(peer_times)
        ours_rate = steps * steps / statistics.median(ours_times)
        ratios[steps] = ours_rate / peer_rate
        print(f"{steps:>3}x{steps:<3} loss-landscapes {peer_rate:7.0f} points/s   mlanim "
              f"{ours_rate:7.0f} points/s   {ratios[steps]:.2f}x   max |diff| {worst:.1e}; "
              f"from float64: mlanim {ours_off:.1e}, loss-landscapes {peer_off:.1e}")
        exact_worst = max(exact_worst, ours_off)
        if worst > 1e-4:
            sys.exit(f"grid values disagree by {worst:.2e} (> 1e-4)")
    chunks = sorted(set(landscape._chosen.values()))  # measured by the first grid's points
    print(f"chunk size measured best on this machine: {chunks}")
    print(f"landscape_grid: {ratios[41]:.2f}x loss-landscapes at 41x41, {ratios[81]:.2f}x at "
          f"81x81; within {exact_worst:.1e} of float64 (targets 2.0x, 1e-6)")


if __name__ == "__main__":
    main()
