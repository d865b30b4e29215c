"""trace_size: bytes on disk for 10,000 samples x 45 epochs x 10 class probabilities.

A published student tool stored that content in 40 MB (MessagePack, about 9 bytes a value).
mlanim's trace of the same run (embed.layer: output, so only the probabilities, plus labels,
metrics and metadata) is measured beside the same values stored as float16 .npy with plain
deflate (trace format 1). Target: <= 10 MB.

Run: .venv/bin/python benchmarks/trace_size.py
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from _common import print_machine, write_spec

from mlanim import pipeline
from mlanim.progress import SilentProgress

TARGET_MB = 10.0
PEER_MB = 40.0


def deflated_npy(values: np.ndarray) -> int:
    buffer = io.BytesIO()
    np.save(buffer, values)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as box:
        box.writestr("values.npy", buffer.getvalue())
    return len(out.getvalue())


def main() -> None:
    print_machine()
    with tempfile.TemporaryDirectory() as folder:
        spec = write_spec(Path(folder), "layer: output, method: star")
        loaded = pipeline.load(spec)
        trace = pipeline.obtain_trace(loaded, loaded.spec, True, SilentProgress())
        size = trace.path.stat().st_size / 1e6
        values = trace.channel("outputs/probabilities").values
    plain = deflated_npy(values) / 1e6
    print(f"probabilities {values.shape} {values.dtype}: raw {values.nbytes / 1e6:.1f} MB")
    print(f"float16 + plain deflate (format 1): {plain:.1f} MB")
    print(f"mlanim trace (format 2, whole file): {size:.1f} MB = "
          f"{size * 1e6 / values.size:.2f} bytes a value, {PEER_MB / size:.1f}x smaller than "
          f"the {PEER_MB:.0f} MB MessagePack file")
    print(f"trace_size: {size:.1f} MB (target <= {TARGET_MB:.0f} MB)")


if __name__ == "__main__":
    main()
