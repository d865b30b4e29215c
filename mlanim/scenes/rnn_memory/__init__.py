"""Scene kind ``rnn_memory``: a vanilla RNN and an LSTM side by side on a task that needs
memory, their states, gates and backpropagated gradients recorded while both learn.

Both networks (`record.Recurrent`: ``nn.RNN`` or ``nn.LSTM`` and a linear read-out of the last
state) train on the same temporal-order sequences with the same batches. Every snapshot keeps,
for one held-out sequence, each step's hidden state, the LSTM's cell state and gates
(recomputed from the module's weights), and |dL/dh_t| for every step through the unrolled
graph. Views, in order: ``training`` (the lanes and the charts sweeping through training),
``forward`` (the sequence read step by step), ``backward`` (backpropagation through time as a
red pulse, its brightness the recorded gradient on a log scale) and ``lag`` (accuracy against
the number of steps the task asks to remember).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlanim.progress import Progress
from mlanim.scenes.picture_scene import PictureScene
from mlanim.scenes.rnn_memory.spec import RnnMemorySpec
from mlanim.trace import Trace


class RnnMemory(PictureScene):
    """An RNN and an LSTM unrolled over time; the BPTT gradient dying or surviving."""

    Spec = RnnMemorySpec
    drawn_by = ("story.MemoryStory", "picture.MemoryPicture")
    own_recording = "trains its own RNN and LSTM side by side"
    keyed_by = ("seed", "task", "model", "train")

    def recording(self, spec: RnnMemorySpec, resolve: Callable[..., Path]
                  ) -> tuple[dict, Callable[[Progress], Trace]]:
        """Generate the task and train both networks, keyed by task, model and training."""
        from mlanim.scenes.rnn_memory.record import record_memory

        return self.recording_key(spec), lambda progress: record_memory(spec, progress)

    def describe(self, meta: dict) -> str:
        """The task and the networks' width."""
        task = meta["task"]
        return (f"task {task['name']}, {task['length']} steps, {task['samples']} sequences; "
                f"RNN and LSTM with {meta['model']['hidden']} units, {meta['steps']} steps")


KIND = RnnMemory()
