"""The landscape core (the loss_landscape scene builds on it): grid values are true losses,
PCA coordinates reconstruct the trajectory within the explained variance."""

from __future__ import annotations

import numpy as np
import torch

from mlanim import data, models
from mlanim.analysis.landscape import (
    evaluate_plane,
    flatten,
    pca_directions,
    project,
    random_directions,
)
from mlanim.spec.sections import DataSpec, ModelSpec, TrainSpec
from mlanim.train import Recorder, RecordingPlan, fit, seed_everything

DATASET = data.load(DataSpec(name="moons", n_samples=200), seed=0)


def trained():
    seed_everything(0)
    model = models.build(ModelSpec(hidden=[16, 8], activation="relu"), DATASET)
    recorder = Recorder(model, RecordingPlan(params=True), DATASET)
    fit(model, DATASET, TrainSpec(epochs=15, batch_size=32, optimizer={"name": "sgd",
                                                                       "lr": 0.1}), 0, recorder)
    trace = recorder.finish()
    names = [n for n, _ in model.named_parameters()]
    trajectory = [{n: torch.from_numpy(trace.values(f"params/{n}")[t]) for n in names}
                  for t in range(16)]
    return model, trajectory


def test_grid_values_equal_a_direct_forward_and_origin_is_the_trained_loss():
    model, trajectory = trained()
    origin = trajectory[-1]
    directions = random_directions(origin, seed=3)
    x, y = torch.from_numpy(DATASET.x_train), torch.from_numpy(DATASET.y_train)
    coords = np.array([[0.0, 0.0], [0.3, -0.2], [-1.0, 0.7], [0.05, 0.9], [0.5, 0.5]])
    values = evaluate_plane(model, origin, directions, x, y, coords)
    with torch.no_grad():
        np.testing.assert_allclose(values[0], torch.nn.functional.cross_entropy(model(x), y),
                                   rtol=1e-5)
        for (a, b), value in zip(coords, values, strict=True):
            twin = models.mlp(2, [16, 8], 2, "relu")
            twin.load_state_dict({n: origin[n] + a * directions.one[n] + b * directions.two[n]
                                  for n in origin})
            expected = torch.nn.functional.cross_entropy(twin(x), y).item()
            np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_pca_coordinates_reconstruct_within_the_explained_variance():
    _, trajectory = trained()
    directions, coords = pca_directions(trajectory)
    final = flatten(trajectory[-1]).double()
    offsets = torch.stack([flatten(p).double() - final for p in trajectory])
    basis = torch.stack([flatten(directions.one), flatten(directions.two)]).double()
    rebuilt = torch.from_numpy(coords) @ basis
    unexplained = float(((offsets - rebuilt) ** 2).sum() / (offsets**2).sum())
    assert abs(unexplained - (1 - sum(directions.explained))) < 1e-5
    np.testing.assert_allclose(project(trajectory, directions), coords, atol=1e-4)
    assert directions.explained[0] >= directions.explained[1] > 0


def test_random_directions_are_filter_normalised():
    _, trajectory = trained()
    origin = trajectory[-1]
    directions = random_directions(origin, seed=1)
    for name, p in origin.items():
        d = directions.one[name]
        if p.dim() == 1:
            assert torch.count_nonzero(d) == 0
        else:
            np.testing.assert_allclose(d.norm(dim=1), p.norm(dim=1), rtol=1e-4)


def test_every_chunk_size_gives_the_same_values_bit_for_bit(monkeypatch):
    """The chunk size is measured at run time, so it differs between machines and runs: the
    values (which go into the trace) must not depend on it, whatever loss is used."""
    from mlanim.analysis import landscape
    from mlanim.train.losses import make_loss

    model, trajectory = trained()
    origin = trajectory[-1]
    directions = random_directions(origin, seed=3)
    x, y = torch.from_numpy(DATASET.x_train), torch.from_numpy(DATASET.y_train)
    coords = np.random.default_rng(0).normal(size=(150, 2))
    for loss in (make_loss("cross_entropy", "classification"),
                 make_loss("mse", "classification")):
        by_chunk = [evaluate_plane(model, origin, directions, x, y, coords, loss, chunk)
                    for chunk in (1, 3, 16, 64)]
        for values in by_chunk[1:]:
            np.testing.assert_array_equal(values, by_chunk[0])
        monkeypatch.setattr(landscape, "_chosen", {})
        monkeypatch.setattr(landscape, "CALIBRATION_SECONDS", 0.0)
        measured = evaluate_plane(model, origin, directions, x, y, coords, loss)
        np.testing.assert_array_equal(measured, by_chunk[0])
        (chosen,) = landscape._chosen.values()
        assert chosen in landscape.CHUNKS
