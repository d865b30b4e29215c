"""Composes one frame of the pulses scene from the story: shapes only, no drawing library."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import Series, line_chart
from mlanim.draw.frame import LegendItem
from mlanim.numbers import minus, short
from mlanim.scenes.network_pulses.network import BLOCK_ABOVE, SHOW_ALL, SHOW_TOP, Layer
from mlanim.scenes.network_pulses.story import (
    LEGEND_TEXTS,
    PulseStory,
    _smooth,
    short_name,
    value_scale,
)
from mlanim.scenes.network_pulses.timeline import Beat

ARRIVE = 0.8  # fraction of a transition the pulses take to arrive


def frame_picture(story: PulseStory, frame: int) -> d.Picture:
    """Everything shown by ``frame``, back to front."""
    beat = story.timeline.at(frame)
    painter = _Composer(story, beat)
    return painter.compose()


class _Composer:
    def __init__(self, story: PulseStory, beat: Beat) -> None:
        self.s, self.beat, self.t = story, beat, story.theme
        self.seg, self.p = beat.segment, beat.progress
        self.f = max(self.seg.focus, 0)
        self.weights = story.weights_at(beat)
        self.pic = d.Picture()
        self.r = story.net.radius
        self.place = story.layout

    # ---- what is revealed when ------------------------------------------------------------

    def values_shown(self, layer: int) -> float:
        """0..1: how visible ``layer``'s values are (they appear as forward pulses arrive)."""
        phase = self.seg.phase
        if phase == "intro":
            return 0.0
        if phase == "forward":
            if layer <= self.seg.layer:
                return 1.0
            if layer == self.seg.layer + 1:
                return float(np.clip((self.p - ARRIVE) / (1 - ARRIVE), 0, 1))
            return 0.0
        return 1.0

    def deltas_shown(self, layer: int) -> float:
        """0..1: how visible ``layer``'s error signal is (it arrives with backward pulses)."""
        phase = self.seg.phase
        if layer == 0 or phase not in ("loss", "backward", "update"):
            return 0.0
        if phase == "loss":
            return float(layer == self.s.depth) * _smooth(self.p)
        if phase == "update":
            return 1.0
        if layer >= self.seg.layer + 2:
            return 1.0
        if layer == self.seg.layer + 1:
            return 1.0
        return 0.0

    def edge_glow(self, into: int) -> float:
        """0..1: gradient glow on the weights into layer ``into``, once the error passed them."""
        phase = self.seg.phase
        if phase == "update":
            return 1.0 - _smooth(self.p)
        if phase != "backward":
            return 0.0
        if into > self.seg.layer + 1:
            return 1.0
        if into == self.seg.layer + 1:
            return float(np.clip((self.p - ARRIVE) / (1 - ARRIVE), 0, 1))
        return 0.0

    # ---- composition ----------------------------------------------------------------------

    def compose(self) -> d.Picture:
        self._edges()
        self._pulses()
        self._nodes()
        self._layer_titles()
        self._io_labels()
        self._header()
        self._panel()
        self._inset()
        self._legend()
        self._caption()
        return self.pic

    def _node_xy(self, layer: Layer, k: int) -> tuple[float, float]:
        return layer.x, float(layer.ys[k])

    def _anchors(self, layer: Layer, side: str) -> list[tuple[int, tuple[float, float]]]:
        """(neuron index, point) where edges attach: each node, or a block's edge."""
        if layer.block:
            half = self._block_box(layer)[2] / 2
            return [(-1, (layer.x + (half if side == "out" else -half), float(layer.ys[0])))]
        return [(int(n), self._node_xy(layer, k)) for k, n in enumerate(layer.shown)]

    def _edges(self) -> None:
        s, net = self.s, self.s.net
        for into in range(1, len(net.layers)):
            src, dst = net.layers[into - 1], net.layers[into]
            w = self.weights[net.weight_name(into)]
            scale = s.weight_scale[into]
            grads = s.grads[net.weight_name(into)][self.f]
            gscale = float(np.max(np.abs(grads))) or 1.0
            glow = self.edge_glow(into)
            lines, glows = [], []
            for i, a in self._anchors(src, "out"):
                for j, b in self._anchors(dst, "in"):
                    weight = float(w[j, i]) if i >= 0 and j >= 0 else 0.0
                    lines.append(self._edge_line(a, b, weight, scale, i < 0 or j < 0))
                    if glow > 0 and i >= 0 and j >= 0:
                        g = abs(float(grads[j, i])) / gscale
                        glows.append(d.Line(a, b, self.t.backward, 0.6 + 4.5 * g,
                                            glow * (0.15 + 0.7 * g)))
            self.pic.add(*lines, *glows)

    def _edge_line(self, a, b, weight: float, scale: float, bundle: bool) -> d.Line:
        t = self.t
        if bundle:
            return d.Line(a, b, t.muted, 0.8, 0.35)
        strength = min(abs(weight) / scale, 1.0) if scale > 0 else 0.0
        color = t.positive if weight >= 0 else t.negative
        width = 0.4 + 3.6 * strength if self.s.spec.show.edge_width == "weight" else 1.2
        return d.Line(a, b, color, width, 0.25 + 0.65 * strength)

    def _pulses(self) -> None:
        phase = self.seg.phase
        if phase not in ("forward", "backward"):
            return
        net = self.s.net
        into = self.seg.layer + 1
        src, dst = net.layers[into - 1], net.layers[into]
        travel = float(np.clip(self.p / ARRIVE, 0, 1))
        if phase == "backward":
            travel = 1 - travel  # from the later layer back to the earlier one
        color = self.t.forward if phase == "forward" else self.t.backward
        if travel in (0.0, 1.0) and self.p >= ARRIVE:
            return
        dots = []
        for _, a in self._anchors(src, "out"):
            for _, b in self._anchors(dst, "in"):
                at = (a[0] + (b[0] - a[0]) * travel, a[1] + (b[1] - a[1]) * travel)
                dots.append(d.Circle(at, self.r * 0.28, color, None))
        self.pic.add(*dots)

    def _nodes(self) -> None:
        s, t = self.s, self.t
        for layer in s.net.layers:
            shown = self.values_shown(layer.index)
            values = s.layer_values(layer.index, self.f)
            scale = value_scale(values) if layer.index < s.depth or s.task != "classification" \
                else 1.0
            delta_on = self.deltas_shown(layer.index)
            deltas = s.deltas[layer.index][self.f] if layer.index > 0 else None
            if layer.block:
                self._block(layer, values, scale, shown, deltas, delta_on)
                continue
            room = float(np.min(np.abs(np.diff(layer.ys)))) if len(layer.ys) > 1 else 1.0
            roomy = room > s.frame.dy(self.r * 2 + 22)  # space under each node for its δ
            for k, n in enumerate(layer.shown):
                xy = self._node_xy(layer, k)
                v = float(values[n])
                fill = s.value_color(v * shown, scale)
                ring = d.Circle(xy, self.r, fill, t.muted, 1.0)
                self.pic.add(ring)
                if delta_on > 0 and deltas is not None:
                    dscale = float(np.max(np.abs(deltas))) or 1.0
                    width = 0.8 + 3.5 * abs(float(deltas[n])) / dscale
                    self.pic.add(d.Circle(xy, self.r + width / 2 + 1, None, self.t.backward,
                                          width * delta_on))
                    if roomy:
                        self.pic.add(d.Label((xy[0], xy[1] - self.s.frame.dy(self.r + 8)),
                                             f"δ {short(float(deltas[n]))}",
                                             s.frame.size("value") * 0.9, self.t.backward, "center",
                                             "top"))
                if shown > 0.5 and s.spec.show.values and self.r >= 8:
                    self.pic.add(d.Label(xy, short(v), max(7.0, self.r * 0.58), t.text))
            if layer.hidden_count and not layer.block:
                x, y = layer.x, float(layer.ys[-1])
                self.pic.add(d.Label((x, y), f"… {layer.hidden_count} more", s.frame.size("tick"),
                                     t.muted))

    def _block_box(self, layer: Layer) -> tuple[float, float, float, float]:
        net = self.s.net
        height = net.area[3] * 0.8
        gap = net.area[2] / max(len(net.layers) - 1, 1)
        width = min(height * self.s.video.height / self.s.video.width * 0.35, gap * 0.45)
        return (layer.x - width / 2, float(layer.ys[0]) - height / 2, width, height)

    def _block(self, layer: Layer, values, scale, shown, deltas, delta_on) -> None:
        """A wide layer: every neuron's value as one heatmap cell."""
        x, y, w, h = self._block_box(layer)
        source = deltas if delta_on > 0.5 and deltas is not None else values
        cols = max(1, int(np.ceil(np.sqrt(len(source) * w / h * 0.5))))
        rows = int(np.ceil(len(source) / cols))
        grid = np.zeros(rows * cols)
        grid[: len(source)] = source
        top = float(np.max(np.abs(grid))) or 1.0
        pos, neg = np.array(_rgb(self.t.positive)), np.array(_rgb(self.t.negative))
        base = np.array(_rgb(self.t.panel))
        v = (grid / top).reshape(rows, cols, 1) * (shown if source is values else 1.0)
        pixels = base + np.where(v >= 0, pos - base, neg - base) * np.abs(v)
        if source is not values:
            pixels = base + (np.array(_rgb(self.t.backward)) - base) * np.abs(grid / top).reshape(
                rows, cols, 1)
        self.pic.add(d.Image((x, y, w, h), pixels),
                     d.Rect((x, y, w, h), None, self.t.muted, 1.0),
                     d.Label((layer.x, y - self.s.frame.dy("tight")), f"all {layer.width}",
                             self.s.frame.size("tick"), self.t.muted,
                             "center", "top"))

    def _layer_titles(self) -> None:
        net, f = self.s.net, self.s.frame
        top = net.area[1] + net.area[3] + f.dy(self.r + 10)
        gap = net.area[2] / max(len(net.layers) - 1, 1)
        for layer in net.layers:
            title = layer.title if len(net.layers) <= 3 else layer.title.split(" (")[0]
            size = f.fit(title, "label", gap * 0.9, smallest=0.75)
            if f.width(title, size) > gap * 0.9:  # narrow frames: "hidden 1", not "(sigmoid)"
                title = title.split(" (")[0]
                size = f.fit(title, "label", gap * 0.9, smallest=0.75)
            self.pic.add(d.Label((layer.x, top), title, size, self.t.muted, "center", "bottom"))

    def _io_labels(self) -> None:
        s, t, net = self.s, self.t, self.s.net
        first, last = net.layers[0], net.layers[-1]
        gap = self.s.frame.dy(self.r + 11) * s.video.height / s.video.width
        if not first.block:
            room = float(np.min(np.abs(np.diff(first.ys)))) if len(first.ys) > 1 else 1.0
            size = min(s.frame.size("value"), room / s.frame.line(1.0) * 0.95)
            for k, n in enumerate(first.shown):
                x, y = self._node_xy(first, k)
                self.pic.add(d.Label((x - gap, y), short_name(first.names[n]), size, t.text,
                                     "right"))
        out_on = self.values_shown(last.index)
        values = s.layer_values(last.index, self.f)
        for k, n in enumerate(last.shown):
            x, y = self._node_xy(last, k)
            text = last.names[n]
            if out_on > 0.5:
                text += f"  {values[n]:.2f}" if s.task == "classification" else \
                    minus(f"  {values[n]:.3g}")
            target = s.task == "classification" and int(s.targets) == n
            color = t.accent if target and out_on > 0.5 else t.text
            self.pic.add(d.Label((x + gap, y), text + ("  ◀ target" if target and out_on > 0.5
                                                       else ""), s.frame.size("label"), color,
                                 "left"))
        if s.task == "regression" and out_on > 0.5:
            x, y = self._node_xy(last, 0)
            self.pic.add(d.Label((x + gap, y - 0.05), f"target {float(s.targets):.3g}", 10,
                                 t.accent, "left"))

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
    seg = beat.segment
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


def _rgb(color: str) -> tuple[float, float, float]:
    from mlanim.draw.theme import rgb

    return rgb(color)


__all__ = ["BLOCK_ABOVE", "SHOW_TOP", "frame_picture"]
