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
