"""model: {checkpoint: path.pt}: training starts from the saved weights; a file that is not a
matching state dict, or a pickle that would run code, exits 2 with a located line; the file's
content keys the trace cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from mlanim import data, models, pipeline
from mlanim.cli import app
from mlanim.spec import DataSpec, ModelSpec

SPEC = """\
scene: decision_boundary
data: {{name: moons, n_samples: 80}}
model: {{hidden: [8], checkpoint: {file}}}
train: {{epochs: 2}}
render: {{formats: [png], quality: low}}
"""


def moons_model(seed: int = 1) -> torch.nn.Module:
    torch.manual_seed(seed)
    return models.build(ModelSpec(hidden=[8]), data.load(DataSpec(name="moons", n_samples=80),
                                                          0, Path))


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_training_starts_from_the_saved_weights(tmp_path: Path) -> None:
    saved = moons_model(seed=7)
    torch.save(saved.state_dict(), tmp_path / "w.pt")
    built = models.build(ModelSpec(hidden=[8], checkpoint=str(tmp_path / "w.pt")),
                         data.load(DataSpec(name="moons", n_samples=80), 0, Path))
    for name, tensor in saved.state_dict().items():
        assert torch.equal(built.state_dict()[name], tensor)


def test_new_weights_in_the_same_file_record_anew(tmp_path: Path) -> None:
    spec = tmp_path / "scene.yaml"
    spec.write_text(SPEC.format(file="w.pt"))
    accuracies = []
    for seed in (1, 2):
        torch.save(moons_model(seed).state_dict(), tmp_path / "w.pt")
        loaded = pipeline.load(spec)
        trace = pipeline.obtain_trace(loaded, loaded.spec, False, pipeline.SilentProgress())
        accuracies.append(trace.values("metrics/train_loss")[0])
    assert accuracies[0] != accuracies[1]  # not the first file's cached trace


def _with(name: str, tensor: torch.Tensor) -> dict[str, torch.Tensor]:
    return {**moons_model().state_dict(), name: tensor}


def test_a_checkpoint_that_inflates_past_the_cap_is_refused(tmp_path: Path, monkeypatch) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "w.pt", "w", zipfile.ZIP_DEFLATED) as box:
        box.writestr("archive/data/0", b"\0" * (8 * 2**20))  # 8 MB of zeros: a few KB zipped
    assert (tmp_path / "w.pt").stat().st_size < 100_000
    monkeypatch.setenv("MLANIM_MAX_INPUT_MB", "4")
    spec = tmp_path / "scene.yaml"
    spec.write_text(SPEC.format(file="w.pt"))
    result = CliRunner().invoke(app, ["render", str(spec), "--quiet"])
    assert result.exit_code == 2 and "once decompressed, over the 4 MB limit" in result.output


@pytest.mark.parametrize(("content", "message"), [
    (lambda p: torch.save({"fc1.weight": RunsCode()}, p),
     "holds Python objects that loading would run (posix.system)"),
    (lambda p: p.write_text("not weights"), "is not a PyTorch weights file"),
    (lambda p: torch.save([1, 2], p), "holds a list, not a state dict"),
    (lambda p: torch.save({"fc1.weight": torch.zeros(8, 2)}, p),
     "does not match this model: missing fc1.bias, out.weight, out.bias"),
    (lambda p: torch.save({**moons_model().state_dict(), "fc1.weight": torch.zeros(3, 2)}, p),
     "fc1.weight has shape (3, 2), the model's has (8, 2)"),
    (lambda p: torch.save(_with("fc1.weight", torch.zeros(8, 2, device="meta")), p),
     "fc1.weight has no values (it was saved on the meta device)"),
    (lambda p: torch.save(_with("fc1.weight", torch.zeros(8, 2).to_sparse()), p),
     "fc1.weight is a sparse_coo tensor"),
    (lambda p: torch.save(_with("fc1.weight", torch.quantize_per_tensor(
        torch.zeros(8, 2), 0.1, 0, torch.qint8)), p), "fc1.weight is a quantized tensor"),
    (lambda p: torch.save(_with("fc1.weight", torch.zeros(8, 2, dtype=torch.complex64)), p),
     "fc1.weight holds complex numbers"),
])
def test_a_bad_checkpoint_exits_2_at_its_line(tmp_path: Path, content, message: str) -> None:
    content(tmp_path / "w.pt")
    spec = tmp_path / "scene.yaml"
    spec.write_text(SPEC.format(file="w.pt"))
    result = CliRunner().invoke(app, ["render", str(spec), "--quiet"])
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert f"{spec}:3:" in line and message in line and "\n" not in line
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    assert not list(Path("outputs").glob("*")) if Path("outputs").exists() else True
