"""A trace recorded by an earlier mlanim still renders: ``tests/reference/watch_v3.mlanim`` was
recorded with `mlanim.watch` (recording version 3: a 2-8-8-2 ReLU MLP on moons, 24 steps, a
snapshot every 10 steps and at each of 6 epochs) before the recorders were merged. Every kind
that draws a run of a user's loop renders it, and reads the numbers it holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mlanim
from mlanim.trace import load_trace

REFERENCE = Path(__file__).parent / "reference" / "watch_v3.mlanim"


def test_the_reference_trace_holds_what_it_recorded():
    trace = load_trace(REFERENCE)
    assert trace.meta["source"] == "watch" and trace.meta["steps"] == 24
    assert trace.meta["model"]["widths"] == [2, 8, 8, 2]
    assert trace.values("metrics/train_loss").shape == (6,)
    assert np.asarray(trace.static("flow/norms")).shape == (24, 3)
    assert trace.values("grid/output").shape == (7, 6400, 2)


KINDS = {"loss_curves": {}, "decision_boundary": {}, "gradient_flow": {},
         "embedding_evolution": {"embed": {"method": "pca"}}}  # UMAP's first run compiles


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_that_draws_a_user_s_run_renders_the_reference_trace(kind, tmp_path):
    run = tmp_path / "run.mlanim"
    shutil.copy(REFERENCE, run)
    written = mlanim.Run(run).render(kind, out=tmp_path, at="epoch=6", formats=["png"],
                                     quality="low", **KINDS[kind])
    still = Image.open(written[0])
    assert still.size == (854, 480)
    assert len(np.unique(np.asarray(still).reshape(-1, 3), axis=0)) > 50  # a drawn picture
