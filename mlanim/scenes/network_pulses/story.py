"""What the pulses scene shows at each moment, as a backend-neutral `Picture`.

Every value drawn comes from the trace: the focus sample's recorded layer outputs and
gradients, the batch gradients, the weights before and after each animated update, and the
weight snapshots that fast-forwards morph through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlanim.data import TargetUnits
from mlanim.draw.frame import Frame, LegendItem
from mlanim.draw.theme import Theme, rgb
from mlanim.draw.video import VideoSettings
from mlanim.scenes.base import story_title
from mlanim.scenes.network_pulses.network import Network, build_network
from mlanim.scenes.network_pulses.timeline import Beat, PulseTimeline, Stage, plan_stages
from mlanim.trace import Trace


@dataclass(frozen=True)
class PulseLayout:
    """Where the network, equation panel, loss inset and legend go (figure fractions)."""

    network: tuple[float, float, float, float]  # node centres' area
    panel: tuple[float, float, float]  # left x, top y, width
    inset: tuple[float, float, float, float]
    legend: tuple[float, float]  # top left
    legend_width: float


LEGEND_TEXTS = ("forward pulse", "backward pulse, δ = ∂L/∂z", "positive weight",
                "negative weight")


def pulse_layout(frame: Frame, depth: int, input_width: float, output_width: float
                 ) -> PulseLayout:
    """The network left of the panel (wide frames) or above it (square and tall ones), with
    room at its sides for the input names (``input_width``) and output values."""
    f = frame
    x, y, w, h = f.body
    legend_h = f.legend_height([LegendItem("", text) for text in LEGEND_TEXTS], w, "value")
    bottom = y + legend_h + f.dy("node_room")  # room under the lowest node for its δ
    titles = f.line("label") + f.dy("node_room")  # the layer titles above the top node
    node = f.dx("column")  # a node's radius and the gap to its label
    if f.video.width > f.video.height:
        layers_w = f.dx("layer_step") * (depth - 1)
        net_w = min(w * 0.62, input_width + output_width + 2 * node + layers_w)
        net = (x + input_width + node, bottom + f.dy("block"), net_w - input_width - output_width
               - 2 * node, y + h - bottom - titles - f.dy("block"))
        panel_x = x + net_w + f.dx("column")
        inset_h = max((y + h - bottom) * 0.22, f.dy("inset"))
        inset = (panel_x + f.dx("column"), bottom + f.line("tick") * 2,
                 x + w - panel_x - f.dx("column"), inset_h)
        return PulseLayout(net, (panel_x, y + h, x + w - panel_x), inset, (x, y + legend_h), w)
    net_h = (y + h - bottom) * 0.5
    net = (x + input_width + node, y + h - net_h + f.dy("panel"), w - input_width - output_width
           - 2 * node, net_h - titles - f.dy("panel"))
    panel_top = y + h - net_h - f.dy("gap")
    inset_h = max((panel_top - bottom) * 0.25, f.dy("inset_low"))
    inset = (x + w * 0.5, bottom + f.line("tick") * 2, w * 0.5, inset_h)
    return PulseLayout(net, (x, panel_top, w), inset, (x, y + legend_h), w)


class Blend:
    """``a + (b - a) * w``, computed only for the entries asked for: a frame draws a few
    hundred weights, and a large model's full matrices must not be copied every frame."""

    def __init__(self, a: np.ndarray, b: np.ndarray | None = None, w: float = 0.0) -> None:
        self.a, self.b, self.w = a, b, w

    def __getitem__(self, index) -> np.ndarray:
        a = np.asarray(self.a[index], dtype=np.float32)
        if self.b is None or self.w == 0.0:
            return a
        return a + (np.asarray(self.b[index], dtype=np.float32) - a) * np.float32(self.w)


def short_name(name: str) -> str:
    """A feature name cut to 18 characters."""
    return name if len(name) <= 18 else name[:16] + "…"


def _hex(color: np.ndarray) -> str:
    r, g, b = (round(float(c) * 255) for c in np.clip(color, 0, 1))
    return f"#{r:02x}{g:02x}{b:02x}"


def _smooth(p: float) -> float:
    return p * p * (3 - 2 * p)


class PulseStory:
    """Builds the picture for each frame from the trace."""

    def __init__(self, spec, trace: Trace, video: VideoSettings, theme: Theme) -> None:
        self.spec, self.trace, self.video, self.theme = spec, trace, video, theme
        meta = trace.meta
        self.task = meta["dataset"]["task"]
        self.units = TargetUnits.of(meta["dataset"])  # regression: numbers in target units
        self.activation = (meta["model"].get("activation") or "linear").lower()
        depth = len(meta["model"]["widths"])
        self.title = story_title(spec.title, "One training step, inside the network", trace)
        data = meta["dataset"]
        self.lr = float(meta["train"]["optimizer"]["lr"])
        self.subtitle = (f"{data['name']} · MLP {'-'.join(map(str, meta['model']['widths']))} "
                         f"{self.activation} · {meta['train']['optimizer']['name']} "
                         f"lr={self.lr:g} · sample #{spec.show.sample}")
        self.total_steps = int(meta["steps"])
        self.frame = Frame(video, theme, self.title, self.subtitle,
                           counter_sample=f"step {self.total_steps} / {self.total_steps}",
                           status_sample="backward pass")
        self.layout = pulse_layout(self.frame, depth, *self._label_widths(data))
        self.net: Network = build_network(trace, self.layout.network, self.activation,
                                          self.task)
        focus = trace.channel("focus/x")
        self.focus_steps = [int(s) for s in focus.steps]
        self.depth = len(self.net.layers) - 1
        self.timeline = PulseTimeline(
            plan_stages(self.focus_steps, self.depth, self.total_steps), video.count)
        self.segments = self.timeline.views(self.focus_steps)  # a page's tabs
        self.count = video.count
        self._load_focus()
        self._load_snapshots()

    def _label_widths(self, data: dict) -> tuple[float, float]:
        """How wide the input names and the output labels (class, value, target) are."""
        f = self.frame
        inputs = max((f.width(short_name(n), "value") for n in data["feature_names"]),
                     default=0.0)
        names = data.get("class_names") or ["output"]
        outputs = max(f.width(f"{n}  0.00  ◀ target", "label") for n in names)
        return inputs, outputs
    # ---- data ------------------------------------------------------------------------------

    def _load_focus(self) -> None:
        t = self.trace
        self.x = t.values("focus/x")  # (F, n_in)
        self.sample_loss = t.values("focus/loss")
        self.pre, self.post, self.grads = {}, {}, {}
        self.outputs, self.deltas = {}, {}
        for layer in self.net.layers[1:]:
            for kind in ("weight", "bias"):
                name = f"{layer.linear}.{kind}"
                self.pre[name] = t.values(f"focus/params_pre/{name}")
                self.post[name] = t.values(f"focus/params_post/{name}")
                self.grads[name] = t.values(f"focus/grads/{name}")
            self.outputs[layer.index] = t.values(f"focus/out/{layer.activation or layer.linear}")
            self.deltas[layer.index] = t.values(f"focus/grad/{layer.linear}")
        self.weight_scale = {
            layer.index: float(max(np.abs(self.pre[f"{layer.linear}.weight"]).max(),
                                   np.abs(self.post[f"{layer.linear}.weight"]).max()))
            for layer in self.net.layers[1:]}
        self.targets = self.units.value(t.static("data/y_train")[self.spec.show.sample])
        self.batch_size = int(t.values("focus/batch")[0].sum())

    def _load_snapshots(self) -> None:
        t = self.trace
        self.snap_counts = t.channel(f"params/{self.net.weight_name(1)}").steps \
            if f"params/{self.net.weight_name(1)}" in t else np.array([], dtype=int)
        loss = t.channel("metrics/train_loss")
        self.loss_steps, self.loss_values = loss.steps, loss.values.astype(float)
        self.acc = t.values("metrics/train_acc") if "metrics/train_acc" in t else None

    def layer_values(self, layer: int, f: int) -> np.ndarray:
        """Outputs of ``layer`` (0 = inputs) for the focus sample at focus step ``f``; the
        output layer shows probabilities for classification, the target's units for
        regression."""
        if layer == 0:
            return self.x[f]
        values = self.outputs[layer][f]
        if layer == self.depth and self.task == "classification":
            z = values - values.max()
            values = np.exp(z) / np.exp(z).sum()
        elif layer == self.depth:
            values = self.units.value(values)
        return values

    def weights_at(self, beat: Beat) -> dict[str, Blend]:
        """The weights drawn at ``beat``: before the update, morphing through it, after it,
        or morphing through the recorded snapshots of a fast-forward."""
        seg, p = beat.stage, beat.progress
        if seg.phase == "update":
            return {k: Blend(self.pre[k][seg.focus], self.post[k][seg.focus], _smooth(p))
                    for k in self.pre}
        if seg.phase in ("forward", "loss", "backward"):
            return {k: Blend(v[seg.focus]) for k, v in self.pre.items()}
        if seg.phase == "fast":
            return self._morph(seg, p)
        if seg.phase == "outro" and len(self.snap_counts):
            return self._snapshot(len(self.snap_counts) - 1)
        source = self.post if seg.phase == "outro" else self.pre
        return {k: Blend(v[max(seg.focus, 0)]) for k, v in source.items()}

    def _snapshot(self, i: int) -> dict[str, np.ndarray]:
        return {k: self.trace.channel(f"params/{k}").values[i] for k in self.pre}

    def _morph(self, seg: Stage, p: float) -> dict[str, Blend]:
        """Through the recorded states between ``start_count`` and ``end_count`` steps."""
        keys: list[tuple[float, dict[str, np.ndarray]]] = []
        if seg.focus >= 0:
            keys.append((seg.start_count, {k: v[seg.focus] for k, v in self.post.items()}))
        for i, count in enumerate(self.snap_counts):
            if seg.start_count <= count <= seg.end_count and \
                    not (keys and count == keys[0][0]):
                keys.append((float(count), self._snapshot(i)))
        if seg.focus + 1 < len(self.focus_steps):
            keys.append((seg.end_count, {k: v[seg.focus + 1] for k, v in self.pre.items()}))
        if len(keys) == 1:
            return {k: Blend(v) for k, v in keys[0][1].items()}
        counts = np.array([c for c, _ in keys])
        at = seg.start_count + p * (seg.end_count - seg.start_count)
        j = int(np.clip(np.searchsorted(counts, at, side="right") - 1, 0, len(keys) - 2))
        span = max(counts[j + 1] - counts[j], 1e-9)
        w = float(np.clip((at - counts[j]) / span, 0, 1))
        a, b = keys[j][1], keys[j + 1][1]
        return {k: Blend(a[k], b[k], w) for k in a}

    def step_label(self, beat: Beat) -> str:
        """``step 2 / 30`` (1-based, as people count)."""
        seg = beat.stage
        if seg.phase == "fast":
            count = seg.start_count + beat.progress * (seg.end_count - seg.start_count)
            return f"step {int(count)} / {self.total_steps}"
        if seg.phase == "intro":
            return f"step 0 / {self.total_steps}"
        if seg.phase == "outro":
            return f"step {self.total_steps} / {self.total_steps}"
        return f"step {self.focus_steps[seg.focus] + 1} / {self.total_steps}"

    def done_steps(self, beat: Beat) -> float:
        """Optimizer steps completed at ``beat`` (for the loss inset's marker)."""
        seg = beat.stage
        if seg.phase == "fast":
            return seg.start_count + beat.progress * (seg.end_count - seg.start_count)
        if seg.phase == "intro":
            return 0.0
        if seg.phase == "outro":
            return float(self.total_steps)
        step = self.focus_steps[seg.focus]
        return step + (_smooth(beat.progress) if seg.phase == "update" else 0.0)

    # ---- colours --------------------------------------------------------------------------

    def value_color(self, value: float, scale: float) -> str:
        """Diverging fill: positive values towards the theme's positive colour."""
        t = self.theme
        v = float(np.clip(value / scale, -1, 1)) if scale > 0 else 0.0
        base = np.array(rgb(t.panel))
        target = np.array(rgb(t.positive if v >= 0 else t.negative))
        return _hex(base + (target - base) * abs(v) ** 0.8)


def value_scale(values: np.ndarray) -> float:
    """Bounded activations keep their scale; larger ones are scaled to their layer's max."""
    return max(1.0, float(np.max(np.abs(values)))) if values.size else 1.0
