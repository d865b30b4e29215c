"""Runs each optimizer (the real torch.optim class) on the two parameters of a surface."""

from __future__ import annotations

import numpy as np
import torch

from mlanim.errors import SpecError
from mlanim.progress import Progress
from mlanim.scenes.optimizer_paths.surfaces import Fn
from mlanim.trace import Trace, TraceWriter
from mlanim.train.optim import make_optimizer

GRID = 240  # surface samples per axis, for contours and the 3-D view


def run_optimizer(fn: Fn, start: tuple[float, float], steps: int, optimizer_spec,
                  bounds: tuple[tuple[float, float], tuple[float, float]], key_path: tuple
                  ) -> tuple[np.ndarray, np.ndarray, int | None]:
    """The path (steps + 1, 2), the loss at each point, and the step it diverged at (or None).

    A path stops when the loss or a coordinate is not finite, or when it leaves the plotting
    range by more than ten times the range's size.
    """
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer(optimizer_spec, [point], key_path)
    (x0, x1), (y0, y1) = bounds
    reach = 10 * max(x1 - x0, y1 - y0)
    path, losses = [point.detach().clone()], []
    diverged = None
    for step in range(steps + 1):
        optimizer.zero_grad()
        loss = fn(point[0], point[1])
        losses.append(float(loss.detach()))
        if step == steps:
            break
        loss.backward()
        optimizer.step()
        value = point.detach().clone()
        far = (value[0] < x0 - reach or value[0] > x1 + reach or value[1] < y0 - reach
               or value[1] > y1 + reach)
        if not torch.isfinite(value).all() or far or not np.isfinite(losses[-1]):
            diverged = step + 1
            break
        path.append(value)
    return torch.stack(path).numpy(), np.array(losses[: len(path)]), diverged


def record_paths(spec, surface, progress: Progress) -> Trace:
    """The trace of every optimizer's path, plus the surface sampled on a grid."""
    writer = TraceWriter(meta={"surface": surface.name, "formula": surface.formula,
                               "x_range": list(spec.x_range), "y_range": list(spec.y_range),
                               "start": list(spec.start_point), "steps": spec.steps,
                               "minima": [list(m) for m in surface.minima], "optimizers": []})
    bounds = (spec.x_range, spec.y_range)
    xs = np.linspace(*spec.x_range, GRID)
    ys = np.linspace(*spec.y_range, GRID)
    gx, gy = np.meshgrid(xs, ys)
    with torch.no_grad():
        values = surface.fn(torch.from_numpy(gx), torch.from_numpy(gy)).numpy()
    if not np.isfinite(values).any():
        raise SpecError("the surface is not finite anywhere in the plotted range",
                        key_path=("surface", "expression"),
                        hint="check the expression, or move surface.x_range / y_range")
    with progress.task("optimizing", total=len(spec.optimizers)) as bar:
        for i, opt in enumerate(spec.optimizers):
            path, losses, diverged = run_optimizer(surface.fn, spec.start_point, spec.steps, opt,
                                                   bounds, ("optimizers", i))
            for step, (point, loss) in enumerate(zip(path, losses, strict=True)):
                writer.add(f"path/{i}", point, step, step)
                writer.add(f"loss/{i}", loss, step, step)
            falling = diverged is not None and np.isfinite(losses[-1]) and losses[-1] < losses[0]
            writer.meta["optimizers"].append({
                "label": label(opt), "diverged_at": diverged,
                # leaving the plot downhill (a saddle, an unbounded valley) is an escape
                "stop": None if diverged is None else ("escaped" if falling else "diverged")})
            bar.advance()
    writer.static("surface/x", xs)
    writer.static("surface/y", ys)
    writer.static("surface/values", values)
    return writer.freeze()


def label(opt) -> str:
    """``Adam lr=0.05`` (or the user's label)."""
    from mlanim.train.optim import describe

    extra = f" m={opt.momentum:g}" if opt.momentum is not None else ""
    return opt.label or describe(opt) + extra
