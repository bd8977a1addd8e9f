"""Helpers that corpus cases import from another module (not cases themselves)."""

import numpy as np

OFFSET = 0.25


def weighted_sum(v, weight):
    return np.sum(v * weight)


def softplus_sum(v):
    return np.sum(np.log(1.0 + np.exp(v)))


def _square(t):
    return t * t


def cube_plus(t):
    return _square(t) * t + t


def quad(M, v):
    return v @ M @ v


def shifted(v):
    return v + OFFSET


def scaled(v, scale=2.0):
    return v * scale
