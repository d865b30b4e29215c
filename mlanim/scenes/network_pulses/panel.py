"""The side of the pulses scene: the header, the focused neuron's equation with this step's
numbers (or the guide to a training step), the loss inset, the legend and the caption."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import Series, line_chart
from mlanim.draw.frame import LegendItem
from mlanim.numbers import short
from mlanim.scenes.network_pulses.moment import Moment
from mlanim.scenes.network_pulses.network import SHOW_ALL
from mlanim.scenes.network_pulses.story import LEGEND_TEXTS, PulseStory
from mlanim.scenes.network_pulses.timeline import Beat


class Panel(Moment):
    """Draws everything beside the network at this moment."""

    def draw(self) -> None:
        """Header, equation panel, loss inset, legend and caption."""
        self._header()
        self._panel()
        self._inset()
        self._legend()
        self._caption()

    def _header(self) -> None:
        self.pic.add(*self.s.frame.header(self.s.step_label(self.beat),
                                          _phase_name(self.seg.phase)))

    def _panel(self) -> None:
        """The equation panel: the focused neuron's sum with this step's numbers."""
        s, t = self.s, self.t
        x0, y, width = self.place.panel
        focus_phase = self.seg.phase in ("forward", "loss", "backward", "update")
        lines = self._equation_lines() if focus_phase and s.spec.show.equations \
            else _phase_guide(s)
        f = s.frame
        step = f.line("label") * 1.25
        for text, color in lines:
            size = f.fit(text, "label", width, smallest=0.75)
            self.pic.add(d.Label((x0, y), text, size, color or t.text, "left", "top"))
            y -= step

    def _equation_lines(self) -> list[tuple[str, str | None]]:
        s, t, f, net = self.s, self.t, self.f, self.s.net
        layer = net.layers[1]
        values = s.layer_values(1, f)
        shown = layer.shown if len(layer.shown) else np.arange(min(layer.width, SHOW_ALL))
        n = int(shown[np.argmax(np.abs(values[shown]))])
        w = self.weights[net.weight_name(1)][n]
        b = float(self.weights[net.bias_name(1)][n])
        x = s.x[f]
        z = float(s.outputs[1][f][n]) if layer.activation is None else \
            float(s.trace.values(f"focus/out/{layer.linear}")[f][n])
        shown = min(2, len(x))
        terms = [f"{short(float(w[i]))}·{_paren(float(x[i]))}" for i in range(shown)]
        more = f" + …{len(x) - shown} more" if len(x) > shown else ""
        act = layer.activation and s.activation
        lines: list[tuple[str, str | None]] = [
            (f"focused neuron {layer.names[n]} ({layer.title.split(' (')[0]})", t.accent),
            ("z = Σ w·x + b", None),
            ("  = " + " + ".join(terms) + more, None),
            (f"      + {_paren(b)}", None),
            (f"  = {short(z)}", None),
        ]
        if act and s.depth > 1:
            lines.append((f"a = {act}(z) = {short(float(values[n]))}", None))
        if self.seg.phase in ("loss", "backward", "update"):
            lines.append((f"sample loss L = {s.sample_loss[f]:.4f}", t.text))
        if self.deltas_shown(1) > 0.5:
            lines.append((f"δ = ∂L/∂z = {short(float(s.deltas[1][f][n]), 4)}", self.t.backward))
        if self.seg.phase == "update":
            i = int(np.argmax(np.abs(s.post[net.weight_name(1)][f][n]
                                     - s.pre[net.weight_name(1)][f][n])))
            before = float(s.pre[net.weight_name(1)][f][n, i])
            after = float(s.post[net.weight_name(1)][f][n, i])
            lines.append((f"w{i + 1}: {short(before, 4)} → {short(after, 4)}", t.accent))
            lines.append((f"b: {short(float(s.pre[net.bias_name(1)][f][n]), 4)} → "
                          f"{short(float(s.post[net.bias_name(1)][f][n]), 4)}", t.accent))
        return lines

    def _inset(self) -> None:
        """Training loss over all steps, drawn up to the current one."""
        s, f = self.s, self.s.frame
        series = [Series("training loss", s.loss_values.astype(float), self.t.train)]
        self.pic.add(*line_chart(f, self.place.inset, s.loss_steps.astype(float), series,
                                 float(s.done_steps(self.beat)), "step"))

    def _legend(self) -> None:
        t = self.t
        colors = (self.t.forward, self.t.backward, t.positive, t.negative)
        items = [LegendItem(c, text) for c, text in zip(colors, LEGEND_TEXTS, strict=True)]
        self.pic.add(*self.s.frame.legend(items, self.place.legend, self.place.legend_width,
                                          "value"))

    def _caption(self) -> None:
        self.pic.add(*self.s.frame.caption(_caption(self.s, self.beat)))


def _caption(s: PulseStory, beat: Beat) -> str:
    seg = beat.stage
    f = max(seg.focus, 0)
    wide = any(layer.width > SHOW_ALL for layer in s.net.layers)
    if seg.phase == "intro":
        return ("Layers wider than 12 show their 10 most active neurons; wider than 64, a "
                "heatmap of all" if wide else
                f"A network with {s.trace.meta['model']['parameters']} weights and biases: "
                "green pulses carry a sample forward, red ones carry its error back")
    if seg.phase == "forward":
        return f"Forward pass: each neuron sums its weighted inputs, then applies {s.activation}"
    if seg.phase == "loss":
        if s.task == "regression":
            output = float(s.layer_values(s.depth, f)[0])
            return (f"The output {output:.4g} is compared with the target {float(s.targets):.4g}; "
                    f"the loss, on standardised targets, is {s.sample_loss[f]:.4f}")
        target = s.net.layers[-1].names[int(s.targets)]
        return f"The output is compared with the target ({target}): loss = {s.sample_loss[f]:.4f}"
    if seg.phase == "backward":
        return (f"Backward pass: the error δ flows back; edge glow is ∂L/∂w over the batch of "
                f"{s.batch_size}")
    if seg.phase == "update":
        return (f"Update: every weight moves by −lr × ∂L/∂w (lr = {s.lr:g}): widths and "
                "colours change")
    if seg.phase == "fast":
        return (f"Fast-forward: steps {seg.start_count + 1}–{seg.end_count}, weights morphing "
                "through the recorded snapshots")
    final = s.loss_values[-1]
    acc = f", training accuracy {s.acc[-1]:.0%}" if s.acc is not None else ""
    return f"After {s.total_steps} steps: training loss {final:.3f}{acc}"


def _phase_name(phase: str) -> str:
    return {"intro": "initial weights", "forward": "forward pass", "loss": "loss",
            "backward": "backward pass", "update": "weight update", "fast": "fast-forward",
            "outro": "trained"}[phase]


def _phase_guide(s: PulseStory) -> list[tuple[str, str | None]]:
    t = s.theme
    return [("one training step:", t.accent),
            ("1. forward: z = Σ w·x + b, a = act(z)", None),
            ("2. loss: compare output with target", None),
            ("3. backward: δ = ∂L/∂z, layer by layer", t.backward),
            ("4. update: w ← w − lr · ∂L/∂w", None),
            (f"animated steps: {', '.join(str(k + 1) for k in s.focus_steps)}", t.muted)]


def _paren(value: float) -> str:
    text = short(value)
    return f"({text})" if value < 0 else text
