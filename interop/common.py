"""Inputs, upstream gradients and JSON output shared by every framework's generator.

numpy only (each framework's venv pins its own numpy). Every array is float32;
values are written as the shortest decimal that reads back as the same float32.
"""
import json
import platform
import sys

import numpy as np


def stats_shape(shape, axes):
    axes = [a % len(shape) for a in axes]
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def make_x(shape, axes, kind, seed):
    """x of `shape`, its groups (elements sharing the indices off `axes`) of one `kind`:
    normal: N(0.5, 2); large_mean: 1e4 + N(0, 1); small_spread: 0.5 + 1e-3 N(0, 1) (variance
    near epsilon, so epsilon shows in y); constant: one value per group; mixed: each group one of
    the four at random."""
    rng = np.random.default_rng(seed)
    group_shape = stats_shape(shape, axes)
    kinds = {
        'normal': lambda: 0.5 + 2.0 * rng.standard_normal(shape),
        'large_mean': lambda: 1e4 + rng.standard_normal(shape),
        'small_spread': lambda: 0.5 + 1e-3 * rng.standard_normal(shape),
        'constant': lambda: np.broadcast_to(3.0 * rng.standard_normal(group_shape) + 1.0, shape),
    }
    if kind == 'mixed':
        parts = [kinds[k]() for k in ('normal', 'large_mean', 'small_spread', 'constant')]
        pick = np.broadcast_to(rng.integers(0, 4, group_shape), shape)
        x = np.choose(pick, parts)
    else:
        x = kinds[kind]()
    return np.ascontiguousarray(x, dtype=np.float32)


def make_param(shape, seed, center):
    """A parameter far from ones/zeros: center + N(0, 0.5)."""
    rng = np.random.default_rng(seed)
    return (center + 0.5 * rng.standard_normal(shape)).astype(np.float32)


def make_dy(shape, seed):
    """The fixed upstream gradient of y: the gradients recorded are those of sum(y * dy)."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


NON_FINITE = {'nan': 'NaN', 'inf': 'Infinity', '-inf': '-Infinity'}


def tensor(a):
    """Non-finite values (JSON has none) are written as the strings NaN, Infinity, -Infinity."""
    a = np.asarray(a, dtype=np.float32)
    return {'shape': list(a.shape),
            'data': [NON_FINITE.get(str(v)) or float(str(v)) for v in a.reshape(-1)]}


def write(path, framework, version, api, cases, extra_versions=None):
    doc = {
        'framework': framework,
        'version': version,
        'api': api,
        'generator': 'interop/' + sys.argv[0].split('/')[-1],
        'python': platform.python_version(),
        'numpy': np.__version__,
        'versions': extra_versions or {},
        'gradients': 'of sum(y * dy) with the recorded dy; params and grads under the framework\'s names',
        'cases': cases,
    }
    with open(path, 'w') as f:
        json.dump(doc, f, separators=(',', ':'), allow_nan=False)
        f.write('\n')


def out_path(framework):
    if len(sys.argv) != 2:
        sys.exit(f'usage: {sys.argv[0]} OUTPUT_DIR')
    return f'{sys.argv[1]}/{framework}.json'
