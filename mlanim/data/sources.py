"""Where raw arrays come from: generated sets, scikit-learn's bundled sets, local csv, npz and
IDX files. Image sets come back as (n, height, width); everything else as (n, features)."""

from __future__ import annotations

import contextlib
import csv
import zipfile
import zlib
from pathlib import Path

import numpy as np

from mlanim.errors import DataError, did_you_mean
from mlanim.spec.sections import DataSpec

Raw = tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...] | None]
"""x, y, feature names (one per pixel for images), class names (None: infer from y)."""


def generated(spec: DataSpec, seed: int) -> Raw:
    """moons, circles, xor, spiral, gaussians: 2-D toy sets drawn with ``seed``."""
    from sklearn import datasets

    n, noise, rng = spec.n_samples, spec.noise, np.random.default_rng(seed)
    if spec.name == "moons":
        x, y = datasets.make_moons(n, noise=noise, random_state=seed)
    elif spec.name == "circles":
        x, y = datasets.make_circles(n, noise=noise * 0.5, factor=0.5, random_state=seed)
    elif spec.name == "xor":
        x = rng.uniform(-1, 1, size=(n, 2))
        y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
        x = x + rng.normal(0, noise * 0.5, size=x.shape)
    elif spec.name == "spiral":
        x, y = _spiral(n, spec.classes, noise, rng)
    else:
        x, y = datasets.make_blobs(n, centers=spec.classes, cluster_std=1.0 + 4 * noise,
                                   random_state=seed)
    classes = spec.classes if spec.name in ("spiral", "gaussians") else 2
    return x, y, ("x1", "x2"), tuple(f"class {k}" for k in range(classes))


def _spiral(n: int, classes: int, noise: float, rng: np.random.Generator) -> tuple:
    per_class = n // classes
    radius = np.tile(np.linspace(0.05, 1.0, per_class), classes)
    label = np.repeat(np.arange(classes), per_class)
    angle = radius * 4.0 + label * 2 * np.pi / classes + rng.normal(0, noise * 0.5, radius.shape)
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x, label


def bundled(spec: DataSpec) -> Raw:
    """iris, wine, breast_cancer, digits, diabetes: shipped inside scikit-learn, no download."""
    from sklearn import datasets

    loader = getattr(datasets, f"load_{spec.name}")
    bunch = loader()
    names = tuple(str(f) for f in getattr(bunch, "feature_names", []))
    if not names:
        names = tuple(f"x{i + 1}" for i in range(bunch.data.shape[1]))
    if spec.name == "digits":
        return bunch.images, bunch.target, pixel_names((8, 8)), tuple(str(c) for c in range(10))
    classes = getattr(bunch, "target_names", None)
    class_names = tuple(str(c) for c in classes) if classes is not None else None
    if spec.name == "diabetes":
        class_names = None
    return bunch.data, bunch.target, names, class_names


def from_csv(path: Path, spec: DataSpec) -> Raw:
    """A csv with a header row; ``spec.target`` names the column to predict."""
    _must_exist(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text (byte {err.start})",
                        key_path=("data", "path"), hint="save the csv as UTF-8") from None
    except csv.Error as err:  # a field over the csv module's 128 kB limit, a NUL byte, ...
        raise DataError(f"{path} is not a readable csv ({err})",
                        key_path=("data", "path")) from None
    if len(rows) < 3:
        raise DataError("a csv needs a header row and at least two data rows", str(path))
    header, body = [h.strip() for h in rows[0]], [r for r in rows[1:] if any(c.strip() for c in r)]
    if spec.target not in header:
        raise DataError(f"{path} has no column '{spec.target}' (data.target)",
                        key_path=("data", "target"),
                        hint=did_you_mean(spec.target, header)
                        + f"columns are: {', '.join(header)}")
    target_at = header.index(spec.target)
    feature_cols = [i for i in range(len(header)) if i != target_at]
    names = [header[c] for c in feature_cols]
    used = _used_columns(names, spec.features)
    x = np.full((len(body), len(feature_cols)), np.nan)
    missing = np.zeros(x.shape, dtype=bool)
    for r, row in enumerate(body):
        if len(row) != len(header):
            raise DataError(f"row has {len(row)} fields, the header has {len(header)}",
                            str(path), r + 2)
        for j, col in enumerate(feature_cols):
            cell = row[col].strip()
            if cell.lower() in MISSING:
                missing[r, j] = j in used
                continue
            try:
                x[r, j] = float(cell)
            except ValueError:
                if j not in used:
                    continue  # a column data.features leaves out may hold anything
                raise DataError(
                    f"column '{header[col]}' is not numeric ({row[col]!r})", str(path), r + 2,
                    hint="encode it as numbers, or leave it out with data.features: [...]",
                ) from None
    y = np.array([row[target_at].strip() for row in body])
    x, y = _fill_missing(x, y, missing, names, spec.missing, path)
    with contextlib.suppress(ValueError):  # text labels stay text: they are classes
        y = y.astype(np.float64)
    return x, y, tuple(names), None


MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}
"""How a csv says a cell has no value."""


def _used_columns(names: list[str], wanted: list[str | int] | None) -> set[int]:
    """The feature columns a spec uses: those ``data.features`` names, else all."""
    if not wanted:
        return set(range(len(names)))
    return {item if isinstance(item, int) else names.index(item)
            for item in wanted if isinstance(item, int) or item in names}


def _fill_missing(x: np.ndarray, y: np.ndarray, missing: np.ndarray, names: list[str],
                  policy: str, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``data.missing`` to the empty cells: refuse naming the first, drop the rows, or
    fill features with their column's mean; a row without a target is never kept."""
    no_target = np.array([label.lower() in MISSING for label in y], dtype=bool)
    holes = missing.any(axis=1) | no_target
    if not holes.any():
        return x, y
    if policy == "error":
        row = int(np.argmax(holes))
        where = "the target column" if no_target[row] else \
            f"column '{names[int(np.argmax(missing[row]))]}'"
        raise DataError(f"{where} has a missing value", str(path), row + 2,
                        hint="set data.missing: drop (leave such rows out) or mean (fill a "
                             "feature with its column's mean)")
    if policy == "mean":
        known = ~missing & ~np.isnan(x) & ~no_target[:, None]  # the rows that are kept
        counts = known.sum(axis=0)
        if (missing.any(axis=0) & (counts == 0)).any():
            empty = names[int(np.argmax(missing.any(axis=0) & (counts == 0)))]
            raise DataError(f"column '{empty}' has no value to take the mean of", str(path),
                            key_path=("data", "missing"))
        means = np.where(known, x, 0.0).sum(axis=0) / np.maximum(counts, 1)
        x = np.where(missing, means, x)
        holes = no_target
    keep = ~holes
    if keep.sum() < 2:
        raise DataError("fewer than two rows are left once rows with missing values are "
                        "dropped", str(path), key_path=("data", "missing"))
    return x[keep], y[keep]


NPZ_KEYS = (("X", "y"), ("images", "labels"), ("x", "y"), ("x_train", "y_train"))


def from_npz(path: Path) -> Raw:
    """An npz of features or images and their labels: ``X`` (n, features) or (n, h, w) with
    ``y`` (n,); ``images`` with ``labels``; or MNIST-style ``x_train``/``y_train`` (with
    ``x_test``/``y_test`` appended when present). Images come back as (n, h, w)."""
    _must_exist(path)
    _check_npz(path)
    try:
        with np.load(path, allow_pickle=False) as arrays:
            keys = next((k for k in NPZ_KEYS if k[0] in arrays and k[1] in arrays), None)
            if keys is None:
                raise DataError(f"{path}: needs arrays X and y, or images and labels (has "
                                f"{', '.join(arrays.files)})", key_path=("data", "path"))
            x, y = arrays[keys[0]], arrays[keys[1]]
            if keys[0] == "x_train" and "x_test" in arrays and "y_test" in arrays:
                x = np.concatenate([x, arrays["x_test"]])
                y = np.concatenate([y, arrays["y_test"]])
    except (OSError, ValueError) as err:
        raise DataError(f"{path}: not a readable npz file ({err})",
                        key_path=("data", "path")) from None
    except (zipfile.BadZipFile, EOFError, zlib.error) as err:
        raise DataError(f"{path} is damaged ({err})", key_path=("data", "path")) from None
    return _images_or_rows(path, x, y)


def _check_npz(path: Path) -> None:
    """An npz must be a zip whose members, once decompressed, stay under the input cap:
    checked from the zip's directory before anything is inflated."""
    from mlanim.inputs import max_input_bytes, megabytes

    key = ("data", "path")
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path} is not an npz file (a zip of arrays, as numpy.savez writes)",
                        key_path=key, hint="save the arrays with numpy.savez(path, X=..., y=...)")
    with zipfile.ZipFile(path) as box:
        total = sum(info.file_size for info in box.infolist())
    if total > max_input_bytes():
        raise DataError(f"{path} would take {megabytes(total)} once decompressed, over the "
                        f"{megabytes(max_input_bytes())} limit", key_path=key,
                        hint="raise it with MLANIM_MAX_INPUT_MB if you trust the file")


def from_idx(images: Path, labels: Path) -> Raw:
    """MNIST's IDX files (optionally gzipped): an image file and a label file."""
    return _images_or_rows(images, _read_idx(images, ("data", "path")),
                           _read_idx(labels, ("data", "labels")))


def _read_idx(path: Path, key_path: tuple[str, str]) -> np.ndarray:
    """One IDX array: two zero bytes, a type code, the number of dimensions, big-endian sizes,
    then the values."""
    import gzip

    if not path.is_file():
        raise DataError(f"data file not found: {path} ({'.'.join(key_path)})", key_path=key_path,
                        hint="check the path (relative paths start at the spec's folder)")
    opener = gzip.open if path.suffix == ".gz" else open
    types = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    from mlanim.inputs import max_input_bytes, megabytes

    cap = max_input_bytes()
    try:
        with opener(path, "rb") as handle:
            raw = handle.read(cap + 1)  # a gzip that inflates past the cap stops here
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: not readable ({err})", key_path=key_path) from None
    if len(raw) > cap:
        raise DataError(f"{path} inflates past the {megabytes(cap)} limit", key_path=key_path,
                        hint="raise it with MLANIM_MAX_INPUT_MB if you trust the file")
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in types:
        raise DataError(f"{path} is not an IDX file", key_path=key_path,
                        hint="give MNIST's train-images-idx3-ubyte / train-labels-idx1-ubyte")
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    values = np.frombuffer(raw, dtype=types[raw[2]], offset=4 + 4 * dims)
    if values.size != int(np.prod(shape)):
        raise DataError(f"{path}: the header says {shape} but the file holds {values.size} "
                        "values (truncated?)", key_path=key_path)
    return values.reshape(shape)


def _images_or_rows(path: Path, x: np.ndarray, y: np.ndarray) -> Raw:
    """Inputs as rows (or images) and labels as one value per row, checked for shape and type."""
    key = ("data", "path")
    if x.ndim == 0 or y.ndim == 0:
        raise DataError(f"{path}: inputs and labels must be arrays with one row per sample, "
                        f"not single values", key_path=key)
    if len(x) == 0:
        raise DataError(f"{path} holds no samples", key_path=key)
    if len(x) != len(y):
        raise DataError(f"{path}: {len(x)} inputs but {len(y)} labels", key_path=key)
    if y.size != len(y):
        raise DataError(f"{path}: labels have shape {list(y.shape)}; one label per sample is "
                        "needed", key_path=key, hint="store class indices or targets, shape (n,)")
    if x.dtype.kind not in "biuf":
        raise DataError(f"{path}: inputs hold {x.dtype} values, not numbers", key_path=key,
                        hint="encode them as numbers")
    y = y.reshape(len(y))
    if x.ndim == 3:
        return x.astype(np.float64), y, pixel_names(x.shape[1:]), None
    x = x.reshape(len(x), -1).astype(np.float64)
    return x, y, tuple(f"x{i + 1}" for i in range(x.shape[1])), None


def pixel_names(shape: tuple[int, ...]) -> tuple[str, ...]:
    """``px{row}_{col}`` for every pixel of an image."""
    return tuple(f"px{r}_{c}" for r in range(shape[0]) for c in range(shape[1]))


def _must_exist(path: Path) -> None:
    if not path.is_file():
        raise DataError(f"data file not found: {path} (data.path)", key_path=("data", "path"),
                        hint="check data.path (relative paths start at the spec's folder)")
