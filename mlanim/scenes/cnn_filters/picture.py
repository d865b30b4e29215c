"""Frames of the cnn_filters scene as backend-neutral pictures, one method per view.

Maps are drawn as cells on a symmetric diverging scale (zero is the panel colour); numbers are
written in cells only where they are legible. Every value is the recorded one or the story's
arithmetic on recorded weights.
"""

from __future__ import annotations

import numpy as np

from mlanim.draw import display as d
from mlanim.draw.charts import cell_box, cell_center, diverging_pixels, ink_on
from mlanim.draw.frame import Box
from mlanim.draw.theme import rgb
from mlanim.numbers import fixed
from mlanim.scenes.cnn_filters.story import CnnStory, Window

SMALLEST_NUMBER = 6.0  # points: cell numbers smaller than this are left out
TRAVEL = 0.3  # share of a window stop spent sliding to it


def _signed(value: float, digits: int = 2) -> str:
    """A number with its sign, minus as the true minus sign."""
    return fixed(value, digits, signed=True)


def _plain(value: float, digits: int = 2) -> str:
    return fixed(value, digits)


class CnnPicture:
    """Lays out the frame once; `picture(frame)` composes each frame's view."""

    def __init__(self, story: CnnStory) -> None:
        self.s, self.f, self.t = story, story.frame, story.theme
        self.background = tuple(self.f.titles())
        self.final = len(story.epochs) - 1
        self.scales = {f"conv{i}": story.scale(story.maps[f"conv{i}"])
                       for i in range(1, story.layers + 1)}
        self.kernel_scale = story.scale(story.weights[0])

    def picture(self, frame: int) -> d.Picture:
        """The picture shown by ``frame``."""
        seg = self.s.segment(frame)
        pic = d.Picture(background=self.background)
        draw = getattr(self, f"_{seg.view}")
        snapshot, caption = draw(pic, seg.progress(frame))
        epoch = f"{self.s.epochs[snapshot]:g}"
        accuracy = self.s.metric("val_acc", snapshot)
        pic.add(*self.f.counter(f"epoch {epoch} / {self.s.epochs[-1]:g}",
                                f"held-out accuracy {accuracy:.0%}"))
        pic.add(*self.f.caption(caption))
        return pic

    # -- layout helpers ----------------------------------------------------------------------
    def _columns(self, weights: list[float], gap: str = "apart") -> list[Box]:
        """The body cut into panels: side by side in a wide body, stacked in a tall one (9:16),
        and four panels two by two in between (4:3, 1:1)."""
        f, body = self.f, self.f.body
        wide = body[2] * self.s.video.width / (body[3] * self.s.video.height)
        if wide < 0.75:  # a tall body (9:16)
            return f.split(body, weights, vertical=True, gap=gap)
        if len(weights) != 4 or wide >= 2.2:
            return f.split(body, weights, gap=gap)
        top, bottom = f.split(body, [1, 1], vertical=True, gap=gap)
        return [*f.split(top, weights[:2], gap=gap), *f.split(bottom, weights[2:], gap=gap)]

    def _square_under_heading(self, box: Box, lines: int = 1) -> Box:
        """The largest square in ``box`` below ``lines`` of heading, centred."""
        x, y, w, h = box
        room = self.f.line("heading") * lines + self.f.dy("gap")
        return self.f.square((x, y, w, h - room))

    def _heading(self, pic: d.Picture, square: Box, text: str, color: str | None = None,
                 width: float | None = None) -> None:
        x, y, w, h = square
        room = width or max(w, self.f.width(text, "heading"))
        room = min(room, self.f.right - self.f.left)
        size = self.f.fit(text, "heading", room, smallest=0.6)
        centre = min(max(x + w / 2, self.f.left + self.f.width(text, size) / 2),
                     self.f.right - self.f.width(text, size) / 2)
        pic.add(d.Label((centre, y + h + self.f.dy("snug")), text, size, color or self.t.text,
                        "center", "bottom"))

    def _matrix(self, pic: d.Picture, box: Box, values: np.ndarray, scale: float,
                numbers: bool | np.ndarray = True, digits: int = 2,
                shown: np.ndarray | None = None, pixels: np.ndarray | None = None) -> None:
        """``values`` as cells on a diverging scale (or coloured as ``pixels`` says);
        ``numbers`` (all, or a mask) written in the cells when legible; cells outside
        ``shown`` left blank."""
        values = np.asarray(values, dtype=float)
        pixels = diverging_pixels(values, self.t, scale) if pixels is None else pixels.copy()
        if shown is not None:
            pixels[~shown] = rgb(self.t.panel)
        pic.add(d.Image(box, pixels), d.Rect(box, None, self.t.grid, 1.0))
        mask = np.ones(values.shape, bool) if numbers is True else (
            np.zeros(values.shape, bool) if numbers is False else numbers)
        if shown is not None:
            mask = mask & shown
        if not mask.any():
            return
        size = self._number_size(box, values.shape, digits)
        if size is None:
            return
        for row, col in zip(*np.nonzero(mask), strict=True):
            pic.add(d.Label(cell_center(box, values.shape, row, col),
                            _plain(values[row, col], digits), size,
                            ink_on(pixels[row, col], self.t)))

    def _number_size(self, box: Box, shape: tuple[int, ...], digits: int) -> float | None:
        """The point size at which ``−0.00`` fits a cell, or None when too small to read."""
        cell_w = box[2] / shape[1]
        cell_h_points = self.f.points(box[3] * self.s.video.height / shape[0])
        size = min(self.f.size("value"), cell_h_points * 0.55)
        sample = "−" + "0." + "0" * digits
        while size >= SMALLEST_NUMBER and self.f.width(sample, size) > cell_w * 0.92:
            size *= 0.92
        return size if size >= SMALLEST_NUMBER else None

    def _outline(self, pic: d.Picture, box: Box, shape: tuple[int, int], row: int, col: int,
                 rows: int = 1, cols: int = 1, color: str | None = None,
                 width: float = 2.5) -> None:
        """A frame around ``rows`` x ``cols`` cells from (row, col)."""
        x, y, w, h = cell_box(box, shape, row, col)
        bottom = y - h * (rows - 1)
        pic.add(d.Rect((x, bottom, w * cols, h * rows), None, color or self.t.accent, width))

    def _colorbar(self, pic: d.Picture, box: Box, scale: float, digits: int = 2) -> None:
        """A vertical bar of the diverging scale from −scale to +scale, its ends written to
        the right."""
        ramp = np.linspace(scale, -scale, 64)[:, None]
        pic.add(d.Image(box, diverging_pixels(ramp, self.t, scale), smooth=True),
                d.Rect(box, None, self.t.grid, 1.0))
        x, y, w, h = box
        size = self.f.size("tick")
        for value, at in ((scale, y + h), (0.0, y + h / 2), (-scale, y)):
            text = _signed(value, digits) if value else "0"
            pic.add(d.Label((x + w + self.f.dx("tight"), at), text, size, self.t.muted, "left",
                            "center"))

    def _colorbar_room(self, digits: int = 2) -> float:
        return self.f.dx("bar") + self.f.width("+0." + "0" * digits, "tick") + self.f.dx("small")

    # -- convolution ---------------------------------------------------------------------------
    def _stop(self, progress: float) -> tuple[int, int | None]:
        """The window's raster index at ``progress``, and which stop it holds (None while
        sliding)."""
        s = self.s
        side = s.model["sides"][0]
        stops = [w.row * side + w.col for w in s.windows]
        tail = 0.15
        per_stop = (1 - tail) / len(stops)
        if progress >= 1 - tail:
            travelled = (progress - (1 - tail)) / tail
            return round(stops[-1] + (side * side - 1 - stops[-1]) * travelled), None
        k = min(int(progress / per_stop), len(stops) - 1)
        within = (progress - k * per_stop) / per_stop
        start = stops[k - 1] if k else 0
        if within < TRAVEL:
            return round(start + (stops[k] - start) * within / TRAVEL), None
        return stops[k], k

    def _convolution(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s, t = self.s, self.t
        side, k = s.model["sides"][0], s.kernel
        index, held = self._stop(progress)
        row, col = divmod(index, side)
        window = s.window(row, col)
        image_box, kernel_box, product_box, map_box = self._columns([1.4, 0.8, 0.9, 1.1],
                                                                     gap="gutter")
        pad = k // 2
        padded = np.pad(s.image, pad)
        square = self._square_under_heading(image_box)
        under = np.zeros(padded.shape, bool)
        under[row:row + k, col:col + k] = True
        self._matrix(pic, square, padded, 1.0, numbers=under,
                     pixels=self._image_pixels(padded))
        if pad:
            inner = cell_box(square, padded.shape, pad, pad)
            cell_w, cell_h = inner[2], inner[3]
            pic.add(d.Rect((inner[0], square[1] + cell_h * pad, cell_w * side, cell_h * side),
                           None, t.muted, 1.0))
        self._outline(pic, square, padded.shape, row, col, k, k)
        self._heading(pic, square, f"image (class {s.classes[s.label]})"
                      + (", zero padding" if pad else ""))
        kernel = s.weights[0][-1][s.channel, 0]
        ksq = self._square_under_heading(kernel_box)
        self._matrix(pic, ksq, kernel, self.kernel_scale)
        self._heading(pic, ksq, f"kernel, bias {_plain(window.bias)}")
        px, py, pw, ph = product_box
        sum_room = self.f.line("label") * 3 + self.f.dy("gap")
        psq = self._square_under_heading((px, py + sum_room, pw, ph - sum_room))
        self._matrix(pic, psq, window.products, max(np.abs(window.products).max(), 1e-9))
        self._heading(pic, psq, "pixel × weight")
        self._sum_line(pic, psq, window)
        msq = self._square_under_heading(map_box)
        shown = (np.arange(side * side) <= index).reshape(side, side)
        final = s.maps["conv1"][-1][s.channel]
        self._matrix(pic, msq, final, self.scales["conv1"], numbers=False, shown=shown)
        self._outline(pic, msq, final.shape, row, col)
        self._heading(pic, msq, f"map {s.channel + 1} of conv 1")
        where = f"row {row + 1}, column {col + 1}"
        caption = (f"At {where} the {k * k} products sum to {_plain(window.total - window.bias)};"
                   f" plus the bias that is {_plain(window.total)}, the map's value. "
                   "PyTorch's conv2d is cross-correlation: the kernel is not flipped.")
        if held is None:
            caption = ("The same kernel slides over every position of the zero-padded image: "
                       "one map per kernel, its weights shared across the image.")
        return self.final, caption

    def _image_pixels(self, values: np.ndarray) -> np.ndarray:
        """The image as fed: 0 the panel colour, 1 the text colour (standardised images on the
        diverging scale)."""
        if not self.s.scaled:
            return diverging_pixels(values, self.t)
        low, high = np.array(rgb(self.t.panel)), np.array(rgb(self.t.text))
        return low + (high - low) * np.clip(values, 0, 1)[..., None]

    def _sum_line(self, pic: d.Picture, square: Box, window: Window) -> None:
        x, y, w, _ = square
        lines = [f"Σ {_plain(window.total - window.bias)}",
                 f"+ bias {_plain(window.bias)}",
                 f"= {_plain(window.total)}"]
        size = self.f.size("label")
        for i, text in enumerate(lines):
            color = self.t.accent if i == 2 else self.t.text
            pic.add(d.Label((x + w / 2, y - self.f.dy("small") - i * self.f.line(size)), text,
                            self.f.fit(text, size, w), color, "center", "top", bold=i == 2))

    # -- sum over input channels ---------------------------------------------------------------
    def _sum(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s, f, t = self.s, self.f, self.t
        out_map = s.maps["conv2"][-1][0]
        partials = s.partial_maps(0)
        row, col = divmod(int(np.argmax(np.abs(out_map))), out_map.shape[1])
        inputs = s.maps["pool1"][-1]
        kernels = s.weights[1][-1][0]
        channels = len(inputs)
        drawn = min(channels, 6)
        left, right = self._columns([2.4, 1.0], gap="halves_wide")
        rows = f.split(left, [1] * drawn, vertical=True, gap="wide")
        revealed = min(drawn, int(progress / 0.6 * drawn) + 1)
        scale = max(float(np.abs(partials).max()), 1e-9)
        for i, box in enumerate(rows[:revealed]):
            self._partial_row(pic, box, i, inputs[i], kernels[i], partials[i], (row, col),
                              scale)
        bias = float(s.biases[1][-1][0])
        head = "map 1 of conv 2: the partial maps summed, plus the bias"
        lines = f.wrap(head, "heading", right[2])
        msq = self._square_under_heading(right, lines=len(lines) + 1)
        top = msq[1] + msq[3] + f.dy("snug")
        for k, line in enumerate(reversed(lines)):
            pic.add(d.Label((msq[0] + msq[2] / 2, top + k * f.line("heading")), line,
                            f.fit(line, "heading", right[2]), t.text, "center", "bottom"))
        pic.add(d.Rect(msq, t.panel, t.grid, 1.0))
        if progress >= 0.6:
            self._matrix(pic, msq, out_map, self.scales["conv2"], numbers=False)
            self._outline(pic, msq, out_map.shape, row, col)
            total = float(partials[:, row, col].sum())
            text = f"Σ {_plain(total)} + bias {_plain(bias)} = {_plain(total + bias)}"
            pic.add(d.Label((msq[0] + msq[2] / 2, msq[1] - f.dy("small")), text,
                            f.fit(text, "label", right[2]), t.accent, "center", "top",
                            bold=True))
        more = f" (the first {drawn} of {channels} drawn)" if drawn < channels else ""
        caption = (f"A second-layer kernel has one {s.kernel}×{s.kernel} slice per input map "
                   f"({channels}){more}: each slice makes a partial map, and the partial maps "
                   "add up, with one bias, to one output map.")
        return self.final, caption

    def _partial_row(self, pic: d.Picture, box: Box, i: int, source: np.ndarray,
                     kernel: np.ndarray, partial: np.ndarray, cell: tuple[int, int],
                     scale: float) -> None:
        f, t = self.f, self.t
        x, y, w, h = box
        label_w = f.width("input 16 ", "label")
        sign_w = f.dx("gutter")
        side = min(h, (w - label_w - sign_w * 2 - f.dx("strip")) / 3 * self.s.video.width /
                   self.s.video.height)
        side_w = side * self.s.video.height / self.s.video.width
        cy = y + h / 2
        pic.add(d.Label((x, cy), f"input {i + 1}", f.size("label"), t.muted, "left"))
        cursor = x + label_w
        kernel_scale = max(float(np.abs(kernel).max()), 1e-9)
        for values, sc, sign in ((source, self.scales["conv1"], "∗"),
                                 (kernel, kernel_scale, "="), (partial, scale, "")):
            square = (cursor, cy - side / 2, side_w, side)
            self._matrix(pic, square, values, sc, numbers=False)
            if values is partial:
                self._outline(pic, square, partial.shape, *cell, width=1.5)
            cursor += side_w
            if sign:
                pic.add(d.Label((cursor + sign_w / 2, cy), sign, f.size("heading"), t.text))
                cursor += sign_w
        value = _signed(float(partial[cell]))
        pic.add(d.Label((cursor + f.dx("gap"), cy), value, f.size("label"), t.text, "left"))

    # -- activation and pooling ----------------------------------------------------------------
    def _pool(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s, t = self.s, self.t
        c = s.channel
        before, after = s.maps["conv1"][-1][c], s.maps["act1"][-1][c]
        pooled = s.maps["pool1"][-1][c]
        winners = s.winners(c)
        boxes = self._columns([1, 1, 0.8], gap="columns")
        scale = self.scales["conv1"]
        bsq = self._square_under_heading(boxes[0])
        self._matrix(pic, bsq, before, scale)
        self._heading(pic, bsq, "conv 1 map")
        asq = self._square_under_heading(boxes[1])
        reveal_act = min(1.0, progress / 0.3)
        side = before.shape[0]
        shown = (np.arange(side * side) < round(reveal_act * side * side)).reshape(side, side)
        self._matrix(pic, asq, after, scale, shown=shown)
        self._heading(pic, asq, f"after {s.model['activation']}")
        windows = pooled.shape[0] * pooled.shape[1]
        visited = 0 if progress < 0.3 else min(windows, int((progress - 0.3) / 0.6 * windows)
                                                + 1)
        p = s.pool
        for k in range(visited):
            r, q = divmod(k, pooled.shape[1])
            wr, wc = winners[r, q]
            self._outline(pic, asq, after.shape, r * p, q * p, p, p, t.muted, 1.0)
            self._outline(pic, asq, after.shape, int(wr), int(wc), color=t.accent, width=2.0)
        psq = self._square_under_heading(boxes[2])
        shown_pool = (np.arange(windows) < visited).reshape(pooled.shape)
        self._matrix(pic, psq, pooled, scale, shown=shown_pool)
        self._heading(pic, psq, f"max-pool {p}×{p}")
        if progress < 0.3:
            caption = (f"{s.model['activation']} keeps positive values and sets negative "
                       "ones to zero." if s.model["activation"] == "relu" else
                       f"{s.model['activation']} is applied to every cell.")
        else:
            caption = (f"Max-pooling keeps the largest value of each {p}×{p} window (ringed):"
                       f" the map shrinks from {side}×{side} to {pooled.shape[0]}×"
                       f"{pooled.shape[1]}.")
        return self.final, caption

    # -- flatten to logits and softmax -----------------------------------------------------------
    def _flatten(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s = self.s
        last = f"pool{s.layers}"
        maps = s.maps[last][-1]
        flat = s.flat[-1]
        logits = s.logits[-1].astype(float)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        boxes = self._columns([1.1, 0.35, 1.0, 1.0], gap="band")
        self._map_grid(pic, boxes[0], maps, self.scales[f"conv{s.layers}"],
                       f"conv {s.layers} maps, pooled")
        strip_box = self._strip_box(boxes[1])
        revealed = min(len(flat), round(min(1.0, progress / 0.3) * len(flat)))
        shown = np.arange(len(flat)) < revealed
        across = s.video.portrait
        self._matrix(pic, strip_box, flat[None, :] if across else flat[:, None],
                     self.scales[f"conv{s.layers}"], numbers=False,
                     shown=shown[None, :] if across else shown[:, None])
        self._heading(pic, strip_box, f"flat ({len(flat)})")
        if progress >= 0.35:
            self._bars(pic, boxes[2], logits, "logits", signed=True)
        if progress >= 0.65:
            self._bars(pic, boxes[3], probs, "softmax", signed=False, best=int(probs.argmax()))
        channels, h, w = maps.shape
        hidden = s.model.get("hidden") or []
        dense = ("one linear layer turns" if not hidden else
                 f"dense layers of {', '.join(map(str, hidden))} and a linear layer turn")
        caption = (f"Flatten reads the {channels} maps of {h}×{w} in channel, row, column "
                   f"order into {len(flat)} numbers; {dense} them into "
                   f"{len(logits)} logits, and softmax into probabilities.")
        if progress >= 0.65:
            best = int(probs.argmax())
            caption = (f"Softmax: class {s.classes[best]} with probability {probs[best]:.0%} "
                       f"(the image is a {s.classes[s.label]}).")
        return self.final, caption

    def _strip_box(self, box: Box) -> Box:
        x, y, w, h = box
        room = self.f.line("heading") + self.f.dy("gap")
        if self.s.video.portrait:  # the numbers lie in a row across the frame
            height = min(h - room, self.f.dy("block"))
            return x, y + (h - room - height) / 2, w, height
        width = min(w, self.f.dx("block"))
        return x + (w - width) / 2, y, width, h - room

    def _map_grid(self, pic: d.Picture, box: Box, maps: np.ndarray, scale: float,
                  heading: str) -> list[Box]:
        """``maps`` (C, h, w) as a grid of small squares under one heading."""
        f = self.f
        x, y, w, h = box
        room = f.line("heading") + f.dy("gap")
        count = len(maps)
        best = None
        for cols in range(1, count + 1):
            rows = -(-count // cols)
            side_px = min((w * self.s.video.width - (cols - 1) * f.px(6)) / cols,
                          ((h - room) * self.s.video.height - (rows - 1) * f.px(6)) / rows)
            if best is None or side_px > best[0]:
                best = (side_px, cols, rows)
        side_px, cols, rows = best  # type: ignore[misc]
        sw, sh = f.x_px(side_px), f.y_px(side_px)
        grid_w = cols * sw + (cols - 1) * f.dx("gap")
        top = y + h - room
        boxes = []
        for k in range(count):
            r, c = divmod(k, cols)
            square = (x + (w - grid_w) / 2 + c * (sw + f.dx("gap")), top - (r + 1) * sh -
                      r * f.dy("gap"), sw, sh)
            self._matrix(pic, square, maps[k], scale, numbers=False)
            boxes.append(square)
        grid_top = (x + (w - grid_w) / 2, top - rows * sh, grid_w, rows * sh)
        self._heading(pic, (grid_top[0], grid_top[1], grid_top[2], rows * sh),
                      heading, width=w)
        return boxes

    def _bars(self, pic: d.Picture, box: Box, values: np.ndarray, heading: str,
              signed: bool, best: int | None = None) -> None:
        """One horizontal bar per class, with the class name left and the value right."""
        s, f, t = self.s, self.f, self.t
        x, y, w, h = box
        room = f.line("heading") + f.dy("gap")
        rows = len(values)
        row_h = min((h - room) / rows, f.line("label") * 1.6)
        top = y + h - room
        name_w = max(f.width(c, "label") for c in s.classes) + f.dx("gap")
        value_w = f.width("−00.00", "label") + f.dx("small")
        bar_x, bar_w = x + name_w, w - name_w - value_w
        span = float(np.abs(values).max()) or 1.0
        zero = bar_x + (bar_w / 2 if signed else 0.0)
        half = bar_w / 2 if signed else bar_w
        size = min(f.size("label"), f.points(row_h * s.video.height) * 0.75)
        for i, value in enumerate(values):
            cy = top - (i + 0.5) * row_h
            color = t.accent if i == best else (t.positive if value >= 0 else t.negative)
            length = half * float(value) / span
            left = min(zero, zero + length)
            pic.add(d.Rect((left, cy - row_h * 0.35, abs(length), row_h * 0.7), color))
            pic.add(d.Label((x, cy), s.classes[i], size, t.text, "left"))
            text = _plain(float(value)) if signed else f"{value:.0%}"
            pic.add(d.Label((x + w, cy), text, size, color if i == best else t.muted,
                            "right"))
        if signed:
            pic.add(d.Line((zero, top), (zero, top - rows * row_h), t.grid, 1.0))
        pic.add(d.Label((x + w / 2, top + f.dy("snug")), heading, f.size("heading"), t.text,
                        "center", "bottom"))

    # -- training --------------------------------------------------------------------------------
    def _training(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s, f = self.s, self.f
        snapshot = s.snapshot_at(progress)
        portrait = s.video.portrait
        maps_area, confusion_area = self._columns([1.6, 1.0] if not portrait else [1.4, 1.0],
                                                  gap="halves_wide")
        bar_room = self._colorbar_room()
        rows = [("conv 1 kernels", s.weights[0][snapshot][:, 0], self.kernel_scale)]
        for i in range(1, s.layers + 1):
            rows.append((f"conv {i} maps of the image", s.maps[f"conv{i}"][snapshot][:],
                         self.scales[f"conv{i}"]))
        boxes = f.split(maps_area, [1] * len(rows), vertical=True, gap="section")
        for (heading, maps, scale), box in zip(rows, boxes, strict=True):
            x, y, w, h = box
            squares = self._map_strip(pic, (x, y, w - bar_room, h), maps, scale, heading)
            top, bottom = squares[0][1] + squares[0][3], min(b[1] for b in squares)
            right = max(b[0] + b[2] for b in squares)
            self._colorbar(pic, (right + f.dx("pad"), bottom, f.dx("pad"), top - bottom), scale)
        self._confusion(pic, confusion_area, snapshot)
        epoch = s.epochs[snapshot]
        caption = (f"Epoch {epoch:g}: every map on one colour scale per layer, fixed across "
                   "epochs; the confusion matrix counts held-out images by true (row) and "
                   "predicted (column) class.")
        if snapshot == 0:
            caption = (f"Before training: random kernels, and the untrained network gets "
                       f"{s.metric('val_acc', 0):.0%} of the held-out images right.")
        return snapshot, caption

    def _map_strip(self, pic: d.Picture, box: Box, maps: np.ndarray, scale: float,
                   heading: str) -> list[Box]:
        """Maps side by side (two rows when that makes them larger) under a heading at the
        left."""
        f = self.f
        x, y, w, h = box
        room = f.line("label") + f.dy("tight")
        count = len(maps)
        gap = f.px(4)
        best = (0.0, 1)
        for rows in (1, 2):
            cols = -(-count // rows)
            side_px = min((w * self.s.video.width - (cols - 1) * gap) / cols,
                          ((h - room) * self.s.video.height - (rows - 1) * gap) / rows)
            if side_px > best[0]:
                best = (side_px, rows)
        side_px, rows = best
        cols = -(-count // rows)
        sw, sh = f.x_px(side_px), f.y_px(side_px)
        top = y + h - room
        boxes = []
        for k in range(count):
            r, c = divmod(k, cols)
            square = (x + c * (sw + f.x_px(gap)), top - (r + 1) * sh - r * f.y_px(gap), sw, sh)
            self._matrix(pic, square, maps[k], scale, numbers=False)
            boxes.append(square)
        size = f.fit(heading, "label", w)
        pic.add(d.Label((x, top + f.dy("thin")), heading, size, self.t.text, "left", "bottom"))
        return boxes

    def _confusion(self, pic: d.Picture, box: Box, snapshot: int) -> None:
        s, f, t = self.s, self.f, self.t
        counts = s.confusion[snapshot]
        classes = len(counts)
        x, y, w, h = box
        label_w = max(f.width(c, "tick") for c in s.classes) + f.dx("small")
        inner = (x + label_w, y, w - label_w, h - f.line("tick"))
        square = self._square_under_heading(inner, lines=2)
        totals = np.maximum(s.confusion[-1].sum(axis=1, keepdims=True), 1)
        share = counts / totals
        color = np.array(rgb(t.positive))
        panel = np.array(rgb(t.panel))
        pixels = panel + (color - panel) * np.clip(share, 0, 1)[..., None]
        wrong = ~np.eye(classes, dtype=bool) & (counts > 0)
        negative = np.array(rgb(t.negative))
        pixels[wrong] = (panel + (negative - panel) * np.clip(share, 0.25, 1)[..., None])[wrong]
        pic.add(d.Image(square, pixels), d.Rect(square, None, t.grid, 1.0))
        size = self._number_size(square, counts.shape, 0)
        tick = f.size("tick")
        for i in range(classes):
            cx, cy = cell_center(square, counts.shape, i, i)
            pic.add(d.Label((square[0] - f.dx("tight"), cy), s.classes[i], tick, t.muted, "right"))
            pic.add(d.Label((cx, square[1] + square[3] + f.dy("thin")), s.classes[i], tick,
                            t.muted, "center", "bottom"))
            if size is None:
                continue
            for j in range(classes):
                if counts[i, j]:
                    pic.add(d.Label(cell_center(square, counts.shape, i, j),
                                    f"{counts[i, j]:.0f}", size, ink_on(pixels[i, j], t)))
        heading = f"held-out confusion, {s.confusion[-1].sum():.0f} images"
        top = square[1] + square[3] + f.line(tick) + f.dy("small")
        pic.add(d.Label((square[0] + square[2] / 2, top), heading,
                        f.fit(heading, "heading", w), t.text, "center", "bottom"))

    # -- a mistake and its saliency ------------------------------------------------------------
    def _mistake(self, pic: d.Picture, progress: float) -> tuple[int, str]:
        s = self.s
        m = s.mistake
        label, predicted = int(m["label"].ravel()[0]), int(m["predicted"].ravel()[0])
        boxes = self._columns([1, 1, 0.9], gap="columns")
        isq = self._square_under_heading(boxes[0])
        image = m["image"].astype(float)
        self._matrix(pic, isq, image, 1.0, numbers=False, pixels=self._image_pixels(image))
        self._heading(pic, isq, f"labelled {s.classes[label]}")
        sal = m["saliency"].astype(float)
        ssq = self._square_under_heading((boxes[1][0], boxes[1][1],
                                          boxes[1][2] - self._colorbar_room(3), boxes[1][3]))
        scale = float(np.abs(sal).max()) or 1.0
        if progress >= 0.25:
            self._matrix(pic, ssq, sal, scale, numbers=False)
            self._colorbar(pic, (ssq[0] + ssq[2] + self.f.dx("pad"), ssq[1], self.f.dx("pad"),
                                 ssq[3]), scale, 3)
        self._heading(pic, ssq, f"∂ score({s.classes[predicted]}) / ∂ pixel")
        probs = m["probs"].astype(float)
        self._bars(pic, boxes[2], probs, "softmax", signed=False, best=predicted)
        if label == predicted:
            caption = (f"The network gets every held-out image right; its least certain one "
                       f"is this {s.classes[label]} ({probs[predicted]:.0%}).")
        else:
            caption = (f"A mistake: this {s.classes[label]} is read as a "
                       f"{s.classes[predicted]} ({probs[predicted]:.0%}). The saliency shows "
                       f"which pixels would raise the {s.classes[predicted]} score (positive) "
                       "or lower it (negative).")
        return self.final, caption
