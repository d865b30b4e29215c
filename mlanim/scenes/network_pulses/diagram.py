"""The network of the pulses scene: edges coloured and sized by weight, pulses travelling
along them, nodes filled by value and ringed by error, blocks for wide layers, and the
names of layers, inputs and outputs."""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.theme import rgb
from mlanim.numbers import minus, short
from mlanim.scenes.network_pulses.moment import ARRIVE, Moment
from mlanim.scenes.network_pulses.network import Layer
from mlanim.scenes.network_pulses.story import short_name, value_scale


class Diagram(Moment):
    """Draws the network at this moment."""

    def draw(self) -> None:
        """Edges, pulses, nodes, and the names around them, back to front."""
        self._edges()
        self._pulses()
        self._nodes()
        self._layer_titles()
        self._io_labels()

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
            # space under each node for its δ
            roomy = room > s.frame.dy(self.r * 2) + s.frame.dy("gutter")
            for k, n in enumerate(layer.shown):
                xy = self._node_xy(layer, k)
                v = float(values[n])
                fill = s.value_color(v * shown, scale)
                hover = f"{layer.title} {layer.names[n]}: {v:.4g}" + (
                    f" · δ {float(deltas[n]):.4g}" if deltas is not None else "") + \
                    self._weights_in(layer, int(n))
                ring = d.Circle(xy, self.r, fill, t.muted, 1.0, hover=hover)
                self.pic.add(ring)
                if delta_on > 0 and deltas is not None:
                    dscale = float(np.max(np.abs(deltas))) or 1.0
                    width = 0.8 + 3.5 * abs(float(deltas[n])) / dscale
                    self.pic.add(d.Circle(xy, self.r + width / 2 + 1, None, self.t.backward,
                                          width * delta_on))
                    if roomy:
                        below = s.frame.dy(self.r) + s.frame.dy("pad")
                        self.pic.add(d.Label((xy[0], xy[1] - below),
                                             f"δ {short(float(deltas[n]))}",
                                             s.frame.size("value") * 0.9, self.t.backward, "center",
                                             "top"))
                if shown > 0.5 and s.spec.show.values and self.r >= 8:
                    size = max(s.frame.size("smallest"), self.r * 0.58)
                    self.pic.add(d.Label(xy, short(v), size, t.text))
            if layer.hidden_count and not layer.block:
                x, y = layer.x, float(layer.ys[-1])
                self.pic.add(d.Label((x, y), f"… {layer.hidden_count} more", s.frame.size("tick"),
                                     t.muted))

    WEIGHTS_LISTED = 8

    def _weights_in(self, layer: Layer, n: int) -> str:
        """A neuron's incoming weights as its hover lists them (the first few of many)."""
        if layer.index == 0:
            return ""
        row = np.asarray(self.weights[self.s.net.weight_name(layer.index)][n], np.float64)
        listed = ", ".join(f"{w:.3g}" for w in row[: self.WEIGHTS_LISTED])
        more = f", … ({len(row)} in all)" if len(row) > self.WEIGHTS_LISTED else ""
        return f" · weights in: {listed}{more}"

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
        pos, neg = np.array(rgb(self.t.positive)), np.array(rgb(self.t.negative))
        base = np.array(rgb(self.t.panel))
        v = (grid / top).reshape(rows, cols, 1) * (shown if source is values else 1.0)
        pixels = base + np.where(v >= 0, pos - base, neg - base) * np.abs(v)
        if source is not values:
            pixels = base + (np.array(rgb(self.t.backward)) - base) * np.abs(grid / top).reshape(
                rows, cols, 1)
        self.pic.add(d.Image((x, y, w, h), pixels),
                     d.Rect((x, y, w, h), None, self.t.muted, 1.0),
                     d.Label((layer.x, y - self.s.frame.dy("tight")), f"all {layer.width}",
                             self.s.frame.size("tick"), self.t.muted,
                             "center", "top"))

    def _layer_titles(self) -> None:
        net, f = self.s.net, self.s.frame
        top = net.area[1] + net.area[3] + f.dy(self.r) + f.dy("wide")
        gap = net.area[2] / max(len(net.layers) - 1, 1)
        for layer in net.layers:
            title = layer.title if len(net.layers) <= 3 else layer.title.split(" (")[0]
            size = f.fit(title, "label", gap * 0.9, smallest=0.75)
            if f.width(title, size) > gap * 0.9:  # narrow frames: "hidden 1", not "(sigmoid)"
                title = title.split(" (")[0]
                size = f.fit(title, "label", gap * 0.9, smallest=0.75)
            self.pic.add(d.Label((layer.x, top), title, size, self.t.muted, "center", "bottom"))

    def _io_labels(self) -> None:
        s, t, net, f = self.s, self.t, self.s.net, self.s.frame
        first, last = net.layers[0], net.layers[-1]
        gap = (f.dy(self.r) + f.dy("wide") + f.dy("hair")) * s.video.height / s.video.width
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
            self.pic.add(d.Label((x + gap, y - f.dy("band")), f"target {float(s.targets):.3g}",
                                 f.size("label"),
                                 t.accent, "left"))
