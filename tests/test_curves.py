"""Early stopping and the overfitting rule, on curves with a known answer."""

from __future__ import annotations

import numpy as np

from mlanim.analysis.curves import early_stop, overfitting_onset

EPOCHS = np.arange(30, dtype=float)
TRAIN = 1.0 / (1.0 + EPOCHS)  # keeps falling


def test_early_stopping_is_the_lowest_validation_loss():
    val = np.array([1.0, 0.6, 0.4, 0.45, 0.5])
    assert early_stop(val) == 2


def test_a_sustained_rise_while_training_loss_falls_is_overfitting():
    val = np.concatenate([np.linspace(1.0, 0.3, 15), np.linspace(0.32, 0.6, 15)])
    onset = overfitting_onset(TRAIN, val)
    assert onset is not None and 14 < onset <= 17


def test_a_spike_at_the_end_is_not_overfitting():
    """The spiral run's last epoch: one high value after a long flat stretch."""
    val = np.concatenate([np.linspace(1.0, 0.01, 20), np.full(9, 0.01)])
    val = np.append(val, 0.05)
    assert overfitting_onset(TRAIN, val) is None


def test_a_rise_within_the_noise_is_not_overfitting():
    rng = np.random.default_rng(0)
    val = 0.3 + rng.normal(0, 0.02, 30)
    assert overfitting_onset(TRAIN, val, noise=0.05) is None


def test_rising_training_loss_is_not_overfitting():
    val = np.concatenate([np.linspace(1.0, 0.3, 15), np.linspace(0.32, 0.6, 15)])
    assert overfitting_onset(val, val) is None
