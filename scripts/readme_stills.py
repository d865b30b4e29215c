"""Redraw the README's stills (docs/img/) from the example specs: one chosen frame each, drawn
at 720p by the named backend and saved 960 pixels on the long side.

Run: .venv/bin/python scripts/readme_stills.py [NAME ...]   (traces come from the cache;
NAME own: the run of examples/record_your_own.py)
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

from mlanim import pipeline, scenes
from mlanim.draw.theme import load_theme
from mlanim.draw.video import VideoSettings
from mlanim.progress import RichProgress

ROOT = Path(__file__).resolve().parent.parent
# name: (example spec, backend, where in the video (0..1))
STILLS = {
    "quickstart": ("quickstart", "matplotlib", 1.0),
    "quickstart_manim": ("quickstart", "manim", 0.45),
    "spiral_light": ("spiral_light", "matplotlib", 1.0),
    "iris_petals": ("iris_petals", "matplotlib", 1.0),
    "xor_vertical": ("xor_vertical", "matplotlib", 1.0),
    "iris_pulses": ("iris_pulses", "manim", 0.235),
    "iris_pulses_update": ("iris_pulses", "matplotlib", 0.56),
    "optimizers_rosenbrock": ("optimizers_rosenbrock", "matplotlib", 0.85),
    "optimizers_saddle": ("optimizers_saddle", "manim", 0.8),
    "landscape_moons": ("landscape_moons", "matplotlib", 0.9),
    "attention_reverse": ("attention_reverse", "matplotlib", 0.3),
    "attention_text": ("attention_text", "matplotlib", 0.62),
    "attention_induction": ("attention_induction", "matplotlib", 0.3),
    "attention_qkv": ("attention_reverse", "manim", 0.97),
    "embedding_digits": ("embedding_digits", "matplotlib", 0.97),
    "embedding_compare": ("embedding_compare", "matplotlib", 0.97),
    "embedding_star": ("embedding_star", "matplotlib", 0.97),
    "curves_overfit": ("curves_overfit", "matplotlib", 1.0),
    "curves_regularised": ("curves_regularised", "matplotlib", 1.0),
    "feature_space_early": ("feature_space_circles", "matplotlib", 0.12),
    "feature_space_circles": ("feature_space_circles", "matplotlib", 1.0),
    "feature_space_3d": ("feature_space_3d", "matplotlib", 0.5),
    "gradients_vanishing": ("gradients_vanishing", "matplotlib", 1.0),
    "gradients_healthy": ("gradients_healthy", "matplotlib", 1.0),
    "gradients_exploding": ("gradients_exploding", "matplotlib", 1.0),
    "bias_variance_panels": ("bias_variance_panels", "matplotlib", 1.0),
    "bias_variance_sweep": ("bias_variance_sweep", "matplotlib", 1.0),
    "cnn_convolution": ("cnn_digits", "matplotlib", 0.12),
    "cnn_sum": ("cnn_digits", "manim", 0.34),
    "cnn_training": ("cnn_digits", "matplotlib", 0.74),
    "cnn_mistake": ("cnn_digits", "matplotlib", 1.0),
    "rnn_training": ("rnn_lstm_order", "matplotlib", 0.3),
    "rnn_backward": ("rnn_lstm_order", "matplotlib", 0.68),
    "tree_split": ("tree_moons", "matplotlib", 0.2),
    "tree_grow": ("tree_moons", "manim", 0.45),
    "tree_path": ("tree_moons", "matplotlib", 0.7),
    "forest_vote": ("forest_moons", "matplotlib", 0.97),
    "boosting_moons": ("boosting_moons", "matplotlib", 0.55),
    "boosting_diabetes": ("boosting_diabetes", "manim", 0.3),
}


def still(example: str, backend: str, where: float) -> Image.Image:
    """One frame of ``example`` at 720p."""
    loaded = pipeline.load(ROOT / "scenes" / f"{example}.yaml")
    spec = pipeline.RenderOptions(quality="medium").apply(loaded.spec)
    trace = pipeline.obtain_trace(loaded, spec, False, RichProgress())
    kind = scenes.get(spec.scene)
    derived = pipeline.analyse(kind, spec, trace, RichProgress())
    video = VideoSettings.from_spec(spec.render)
    drawing = kind.frames(spec, trace, video, load_theme(spec.render.theme), backend, derived)
    try:
        return Image.fromarray(drawing.frame(round(where * (drawing.count - 1))))
    finally:
        drawing.close()


def main(names: list[str]) -> None:
    if not names or "own" in names:
        own_run_stills()
    for name in [n for n in names if n != "own"] or ([] if names else list(STILLS)):
        image = still(*STILLS[name])
        scale = 960 / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)),
                             Image.Resampling.LANCZOS)
        path = ROOT / "docs" / "img" / f"{name}.png"
        image.save(path, optimize=True)
        print(path)


def own_run_stills() -> None:
    """Stills of examples/record_your_own.py's run (a CNN trained in a plain PyTorch loop)."""
    import importlib.util
    import os
    import tempfile

    spec = importlib.util.spec_from_file_location("record_your_own",
                                                  ROOT / "examples" / "record_your_own.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            example.main(formats=("png",))
            import mlanim

            for kind, moment in (("gradient_flow", "epoch=6"), ("embedding_evolution", 9.0)):
                png = mlanim.Run("runs/digits.mlanim").render(kind, at=moment, duration=10)[0]
                image = Image.open(png)
                image.thumbnail((960, 960))
                image.save(ROOT / "docs" / "img" / f"own_{kind}.png", optimize=True)
        finally:
            os.chdir(here)


if __name__ == "__main__":
    main(sys.argv[1:])
