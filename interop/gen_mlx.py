"""MLX: mlx.nn.LayerNorm (last axis; weight and bias)."""
import mlx.core as mx
import mlx.nn as nn
import numpy as np

from common import make_dy, make_param, make_x, out_path, tensor, write

CASES = [
    # name, x shape, data kind, constructor args
    ('defaults, rank 2', (6, 5), 'mixed', {'dims': 5}),
    ('rows of mean 1e4, rank 3', (3, 2, 4), 'large_mean', {'dims': 4}),
    ('eps 1e-3, variance near eps, rank 4', (2, 2, 2, 3), 'small_spread', {'dims': 3, 'eps': 1e-3}),
    ('affine off, rank 5', (2, 1, 2, 2, 3), 'mixed', {'dims': 3, 'affine': False}),
    ('bias off', (4, 2), 'normal', {'dims': 2, 'bias': False}),
    ('constant rows, groups of 1', (3, 1), 'constant', {'dims': 1}),
]


def case(index, name, shape, kind, args):
    layer = nn.LayerNorm(**args)
    dims = args['dims']
    start = {}
    if 'weight' in layer:
        start['weight'] = mx.array(make_param((dims,), 300 + index, 1.0))
    if 'bias' in layer:
        start['bias'] = mx.array(make_param((dims,), 400 + index, 0.0))
    names = sorted(start)
    x = mx.array(make_x(shape, [-1], kind, 100 + index))
    dy = make_dy(shape, 200 + index)

    def forward(xv, *params):
        layer.update(dict(zip(names, params)))
        return layer(xv)

    (y,), grads = mx.vjp(forward, [x] + [start[n] for n in names], [mx.array(dy)])
    layer.update(start)
    return {
        'name': name, 'api': 'mlx.nn.LayerNorm', 'args': args, 'data': kind,
        'x': tensor(np.array(x)), 'dy': tensor(dy),
        'params': {n: tensor(np.array(start[n])) for n in names},
        'params_set': True,
        'y': tensor(np.array(y)),
        'grads': {n: tensor(np.array(g)) for n, g in zip(['x'] + names, grads)},
    }


def main():
    cases = [case(i, *c) for i, c in enumerate(CASES)]
    write(out_path('mlx'), 'mlx', mx.__version__, 'mlx.nn.LayerNorm', cases)


main()
