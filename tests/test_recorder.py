"""The recorder tells the truth: its numbers equal an independent torch computation."""

from __future__ import annotations

import copy

import numpy as np
import torch

from mlanim import data, models, pipeline, train
from mlanim.spec.sections import DataSpec, ModelSpec, TrainSpec
from mlanim.train import Grid, Recorder, RecordingPlan, fit, seed_everything

DATASET = data.load(DataSpec(name="moons", n_samples=100), seed=0)
TRAIN = TrainSpec(epochs=4, batch_size=10, optimizer={"name": "momentum", "lr": 0.1})


def fresh_model(seed: int = 0) -> torch.nn.Module:
    seed_everything(seed)
    return models.build(ModelSpec(hidden=[6, 5]), DATASET)


def test_recorded_gradients_equal_autograd_in_a_user_loop():
    model = fresh_model()
    recorder = Recorder(model, RecordingPlan(grads=True, params=True), DATASET)
    x, y = torch.from_numpy(DATASET.x_train[:16]), torch.from_numpy(DATASET.y_train[:16])
    twin = copy.deepcopy(model)

    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    recorder.capture_grads(step=1, epoch=0.1)
    trace = recorder.finish()

    expected = torch.autograd.grad(torch.nn.functional.cross_entropy(twin(x), y),
                                   list(twin.parameters()))
    for (name, _), grad in zip(twin.named_parameters(), expected, strict=True):
        np.testing.assert_allclose(trace.values(f"grads/{name}")[0], grad.numpy(), atol=1e-6)


def test_recording_does_not_change_training():
    plain = fresh_model()
    fit(plain, DATASET, TRAIN, seed=0)
    recorded = fresh_model()
    plan = RecordingPlan(params=True, grads=True, activation_samples=(0, 1),
                         grid=Grid((-2, 2), (-2, 2), 10), hidden_layers=("act1",))
    fit(recorded, DATASET, TRAIN, seed=0, recorder=Recorder(recorded, plan, DATASET))
    for a, b in zip(plain.parameters(), recorded.parameters(), strict=True):
        assert torch.equal(a, b)


def test_each_snapshot_keeps_the_values_of_its_own_moment():
    """Parameters change in place at every optimizer step: snapshots must be copies."""
    model = fresh_model()
    initial = {name: p.detach().clone() for name, p in model.named_parameters()}
    recorder = Recorder(model, RecordingPlan(params=True, grads=True), DATASET)
    fit(model, DATASET, TRAIN, seed=0, recorder=recorder)
    trace = recorder.finish()
    for name, value in initial.items():
        snapshots = trace.values(f"params/{name}")
        np.testing.assert_array_equal(snapshots[0], value.numpy())
        assert not np.array_equal(snapshots[0], snapshots[-1])
    grads = trace.values("grads/fc1.weight")
    assert not np.array_equal(grads[0], grads[-1])


def test_snapshots_match_the_model_they_were_taken_from():
    model = fresh_model()
    grid = Grid((-2, 2), (-1.5, 1.5), 12)
    recorder = Recorder(model, RecordingPlan(params=True, activation_samples=(3, 7), grid=grid),
                        DATASET)
    fit(model, DATASET, TRAIN, seed=0, recorder=recorder)
    trace = recorder.finish()
    model.eval()
    with torch.no_grad():
        for name, param in model.named_parameters():
            np.testing.assert_array_equal(trace.values(f"params/{name}")[-1], param.numpy())
        sample = torch.from_numpy(DATASET.x_train[[3, 7]])
        np.testing.assert_allclose(trace.values("activations/act1")[-1],
                                   model.act1(model.fc1(sample)).numpy(), atol=1e-6)
        logits = model(torch.from_numpy(grid.points())).numpy()
        np.testing.assert_allclose(trace.values("grid/output")[-1], logits,
                                   rtol=1e-3, atol=1e-3)  # stored as float16
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(DATASET.x_val)),
                                                 torch.from_numpy(DATASET.y_val))
    np.testing.assert_allclose(trace.values("metrics/val_loss")[-1], loss.item(), rtol=1e-6)
    assert list(trace.channel("metrics/val_loss").epochs) == [0, 1, 2, 3, 4]


def test_same_spec_twice_gives_identical_traces(write_spec):
    loaded = pipeline.load(write_spec())
    first = pipeline.obtain_trace(loaded, loaded.spec, fresh=True, progress=None or _silent())
    second = pipeline.obtain_trace(loaded, loaded.spec, fresh=True, progress=_silent())
    assert first.channel_names == second.channel_names
    for name in first.channel_names:
        np.testing.assert_array_equal(first.values(name), second.values(name))


def test_record_stores_model_description(write_spec):
    loaded = pipeline.load(write_spec())
    trace = pipeline.obtain_trace(loaded, loaded.spec, fresh=False, progress=_silent())
    assert trace.meta["model"]["widths"] == [2, 8, 2]
    assert trace.meta["epochs"] == 6
    assert train.describe_model(models.mlp(3, [4], 2))["parameters"] == 3 * 4 + 4 + 4 * 2 + 2


def _silent():
    from mlanim.progress import SilentProgress

    return SilentProgress()


def test_loss_choice_is_honoured_in_training_and_metrics():
    ce, mse = (TrainSpec(epochs=1, batch_size="full", loss=name, optimizer={"name": "sgd"})
               for name in ("cross_entropy", "mse"))
    traces = []
    for spec in (ce, mse):
        model = fresh_model()
        recorder = Recorder(model, RecordingPlan(), DATASET, spec.loss)
        fit(model, DATASET, spec, seed=0, recorder=recorder)
        traces.append(recorder.finish())
    model = fresh_model()
    x, y = torch.from_numpy(DATASET.x_train), torch.from_numpy(DATASET.y_train)
    with torch.no_grad():
        probs = torch.softmax(model(x), dim=1)
        expected = torch.nn.functional.mse_loss(probs, torch.nn.functional.one_hot(y, 2).float())
    np.testing.assert_allclose(traces[1].values("metrics/train_loss")[0], expected, rtol=1e-6)
    assert traces[0].values("metrics/train_loss")[0] > traces[1].values("metrics/train_loss")[0]


def test_the_plans_cadence_decides_when_snapshots_are_taken():
    """Scene kinds set the cadence (network_pulses thins it for big models): the loop obeys."""
    model = fresh_model()
    recorder = Recorder(model, RecordingPlan(params=True, every_steps=7), DATASET)
    fit(model, DATASET, TRAIN, seed=0, recorder=recorder)  # 4 epochs x 8 steps = 32 steps
    steps = list(recorder.finish().channel("params/fc1.weight").steps)
    assert steps == [0, 7, 14, 21, 28, 32]
