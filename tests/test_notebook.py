"""examples/quickstart.ipynb runs top to bottom in a real kernel, and its results display
inline; the %%mlanim magic reports a mistake in one line."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import mlanim
from mlanim.notebook import mlanim_cell

pytestmark = pytest.mark.slow  # runs a notebook in a kernel

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_runs_and_shows_its_pictures(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = [output["data"]["text/html"] for cell in notebook.cells
             if cell.cell_type == "code" for output in cell.get("outputs", [])
             if "text/html" in output.get("data", {})]
    gifs = [html for html in shown if '<img src="data:image/gif;base64,' in html]
    pages = [html for html in shown if html.startswith('<iframe srcdoc="')]
    assert len(gifs) == 2 and len(pages) == 1 and len(shown) == 3
    errors = [o for cell in notebook.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert (tmp_path / "runs" / "moons.mlanim").is_file()


def test_cell_magic_reports_a_mistake_in_one_line(capsys) -> None:
    assert mlanim_cell("duration=2", "scene: decision_boundry\n") is None
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "unknown scene kind 'decision_boundry'" in error
    assert "did you mean 'decision_boundary'" in error
    assert mlanim_cell("duration", "scene: loss_curves\n") is None
    assert "KEY=VALUE" in capsys.readouterr().err
    registered = []

    class Shell:
        def register_magic_function(self, function, magic_kind, magic_name):
            registered.append((function, magic_kind, magic_name))

    mlanim.load_ipython_extension(Shell())
    assert registered == [(mlanim_cell, "cell", "mlanim")]


LIVE_CELL = """
import torch
from torch import nn
import mlanim

torch.manual_seed(0)
x = torch.randn(64, 2)
y = (x[:, 0] > 0).long()
model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
rec = mlanim.watch(model, every=2, optimizer=opt, path="live.mlanim", live=["loss_curves"])
for epoch in range(3):
    for rows in torch.arange(64).split(16):
        loss = nn.functional.cross_entropy(model(x[rows]), y[rows])
        opt.zero_grad()
        loss.backward()
        opt.step()
        rec.step(loss, x=x[rows], y=y[rows])
    rec.epoch()
print(rec.live.address)
rec.save()
"""


def test_a_live_run_in_a_notebook_shows_its_page_in_the_cell(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LIVE_CELL)])
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = notebook.cells[0]["outputs"]
    address = next(o["text"] for o in outputs if o.get("name") == "stdout").strip()
    frames = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(frames) == 1 and f'src="{address}"' in frames[0].replace("&amp;", "&")
    assert address.startswith("http://127.0.0.1:") and "?token=" in address
