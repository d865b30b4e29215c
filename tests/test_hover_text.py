"""Hover texts travel as templates and typed numbers and read back exactly, or as texts."""

from __future__ import annotations

import numpy as np
import pytest

from mlanim.draw.hover_text import fixed, general, templated, written


def read_back(found, k: int) -> str:
    return written(found.templates[found.which[k]], found.numbers[k])


def test_texts_read_back_exactly_from_few_templates():
    rng = np.random.default_rng(0)
    texts = [f"training row {i} · {name} · predicted {guess} ({p:.2f})"
             for i, name, guess, p in zip(range(500), rng.choice(["setosa", "virginica"], 500),
                                          rng.choice(["setosa", "virginica"], 500),
                                          rng.random(500), strict=True)]
    found = templated(texts)
    assert found is not None and len(found.templates) == 4
    assert [read_back(found, k) for k in range(len(texts))] == texts
    assert found.numbers.dtype == np.float32


@pytest.mark.parametrize("text", ["loss 123456789.5", "unit %{x}", "p 1e-05 but 16777217"])
def test_a_text_that_would_not_read_back_travels_as_text(text):
    assert templated(["row 1 · 0.5", text]) is None


def test_literal_parts_are_escaped_and_halves_round_as_a_browser_does():
    found = templated(["<b>&</b> 0.125"])
    assert found.templates[0].startswith("&lt;b&gt;&amp;&lt;/b&gt; ")
    assert fixed(0.125, 2) == "0.13" and fixed(2.5, 0) == "3"  # toFixed, not half-even


@pytest.mark.parametrize(("value", "digits", "text"), [
    (0.4213, 7, "0.4213"), (12.0, 7, "12"), (1.5e-7, 7, "1.5e-7"), (12345678.0, 7, "1.234568e+7"),
    (0.0, 7, "0"), (0.5, 4, "0.5"), (2.5, 1, "3")])
def test_the_general_format_is_a_browsers(value, digits, text):
    assert general(float(np.float32(value)), digits) == text


def test_a_curves_texts_share_one_template_whatever_their_decimals():
    texts = ["train loss 0.4213 at 0", "train loss 0.04213 at 1", "train loss 1.2 at 12"]
    found = templated(texts)
    assert found is not None and len(found.templates) == 1
    assert [read_back(found, k) for k in range(3)] == texts


def test_a_digit_of_a_name_stays_in_the_template():
    found = templated(["fc1 0.5 at 3", "fc1 0.25 at 4"])
    assert found is not None and found.templates[0].startswith("fc1 ")
    assert found.numbers.shape == (2, 2)
