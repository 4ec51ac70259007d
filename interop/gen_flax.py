"""Flax: flax.linen.LayerNorm (statistics over reduction_axes, parameters over feature_axes)."""
import flax
import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

from common import make_dy, make_param, make_x, out_path, tensor, write

CASES = [
    # name, x shape, data kind, constructor args. use_fast_variance (default True) computes
    # E[x^2] - E[x]^2 in float32, which Flax itself gets wrong on rows of large mean or tiny
    # spread: those data kinds run with it off.
    ('defaults', (6, 5), 'normal', {}),
    ('use_fast_variance off, mixed rows', (6, 5), 'mixed', {'use_fast_variance': False}),
    ('use_bias off', (3, 2, 4), 'normal', {'use_bias': False}),
    ('use_scale and use_bias off', (3, 2, 4), 'mixed',
     {'use_scale': False, 'use_bias': False, 'use_fast_variance': False}),
    ('reduction_axes = feature_axes = (1, 2)', (2, 3, 2), 'normal',
     {'reduction_axes': (1, 2), 'feature_axes': (1, 2)}),
    ('statistics over H, W, C of NHWC, parameters over C', (2, 2, 3, 4), 'mixed',
     {'reduction_axes': (1, 2, 3), 'feature_axes': -1, 'use_fast_variance': False}),
    ('reduction_axes (-2, -1), default feature_axes, rank 5', (2, 1, 2, 3, 2), 'normal',
     {'reduction_axes': (-2, -1)}),
    ('epsilon 1e-3, variance near epsilon', (4, 3), 'small_spread',
     {'epsilon': 1e-3, 'use_fast_variance': False}),
    ('constant rows, groups of 3', (2, 2, 2, 3), 'constant', {'use_fast_variance': False}),
    ('groups of 1 over axis 1', (3, 1, 2), 'normal',
     {'reduction_axes': 1, 'feature_axes': 1, 'use_fast_variance': False}),
    # epsilon 0 is accepted; a constant row is then 0 / 0 (groups of 4: its mean is exact).
    ('epsilon 0', (4, 5), 'normal', {'epsilon': 0.0, 'use_fast_variance': False}),
    ('epsilon 0, constant rows (0 / 0)', (3, 4), 'constant',
     {'epsilon': 0.0, 'use_fast_variance': False}),
    ('reduction_axes mixing signs (-1, 1)', (2, 3, 2, 4), 'mixed',
     {'reduction_axes': (-1, 1), 'feature_axes': (1, -1), 'use_fast_variance': False}),
]


def axes_list(a, rank):
    return sorted({v % rank for v in ((a,) if isinstance(a, int) else a)})


def case(index, name, shape, kind, args):
    layer = nn.LayerNorm(**args)
    rank = len(shape)
    x = jnp.asarray(make_x(shape, axes_list(args.get('reduction_axes', -1), rank), kind,
                           100 + index))
    variables = layer.init(jax.random.PRNGKey(0), x)
    params = dict(variables.get('params', {}))
    feature_shape = tuple(shape[a] for a in axes_list(args.get('feature_axes', -1), rank))
    if 'scale' in params:
        params['scale'] = jnp.asarray(make_param(feature_shape, 300 + index, 1.0))
    if 'bias' in params:
        params['bias'] = jnp.asarray(make_param(feature_shape, 400 + index, 0.0))
    for p in params.values():
        assert p.shape == feature_shape, (p.shape, feature_shape)
    dy = make_dy(shape, 200 + index)

    def apply(p, xv):
        return layer.apply({'params': p}, xv)

    y, vjp = jax.vjp(apply, params, x)
    dparams, dx = vjp(jnp.asarray(dy))
    recorded = {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}
    return {
        'name': name, 'api': 'flax.linen.LayerNorm', 'args': recorded, 'data': kind,
        'x': tensor(np.asarray(x)), 'dy': tensor(dy),
        'params': {k: tensor(np.asarray(v)) for k, v in params.items()},
        'params_set': True,
        'y': tensor(np.asarray(y)),
        'grads': {'x': tensor(np.asarray(dx)),
                  **{k: tensor(np.asarray(v)) for k, v in dparams.items()}},
    }


def main():
    cases = [case(i, *c) for i, c in enumerate(CASES)]
    write(out_path('flax'), 'flax', flax.__version__, 'flax.linen.LayerNorm', cases,
          {'jax': jax.__version__})


main()
