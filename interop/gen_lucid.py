"""Lucid: lucid.nn.LayerNorm (PyTorch's signature; normalized_shape: the trailing dims).

Lucid 2.9.0 reduces a broadcast gradient by summing consecutive runs of its flat values
(lucid._match_grad_shape), not over the broadcast axes, so its weight and bias gradients are
wrong wherever x has more than one group. They are recorded under `own_param_grads`, to show
that; the tests compare ours with the float64 reference instead, and y and dx with Lucid's.
"""
from importlib.metadata import version

import lucid
import lucid.nn as nn
import mlx.core as mx

from common import make_dy, make_param, make_x, out_path, tensor, write

CASES = [
    # name, x shape, data kind, constructor args
    ('normalized_shape int, rank 2', (6, 5), 'mixed', {'normalized_shape': 5}),
    ('rank 1, one group', (7,), 'normal', {'normalized_shape': 7}),
    ('normalized_shape int, rows of mean 1e4, rank 3', (3, 2, 4), 'large_mean',
     {'normalized_shape': 4}),
    ('normalized_shape tuple of 2, rank 4', (2, 3, 2, 3), 'mixed', {'normalized_shape': (2, 3)}),
    ('normalized_shape tuple of 3, rank 5, eps 1e-6', (2, 1, 3, 2, 2), 'normal',
     {'normalized_shape': (3, 2, 2), 'eps': 1e-6}),
    ('eps 1e-3, variance near eps', (4, 3), 'small_spread', {'normalized_shape': 3, 'eps': 1e-3}),
    ('elementwise_affine off', (4, 3), 'mixed', {'normalized_shape': (3,),
                                                 'elementwise_affine': False}),
    ('bias off', (3, 2, 2), 'small_spread', {'normalized_shape': 2, 'bias': False}),
    ('groups of 1', (4, 1), 'normal', {'normalized_shape': 1}),
    ('constant rows', (5, 3), 'constant', {'normalized_shape': [3]}),
]


def case(index, name, shape, kind, args):
    ns = args['normalized_shape']
    ns = (ns,) if isinstance(ns, int) else tuple(ns)
    axes = list(range(len(shape) - len(ns), len(shape)))
    layer = nn.LayerNorm(**args)
    params = {}
    if layer.weight is not None:
        layer.weight.data = make_param(ns, 300 + index, 1.0)
        params['weight'] = layer.weight
    if layer.bias is not None:
        layer.bias.data = make_param(ns, 400 + index, 0.0)
        params['bias'] = layer.bias
    x = lucid.tensor(make_x(shape, axes, kind, 100 + index), requires_grad=True)
    dy = make_dy(shape, 200 + index)
    y = layer(x)
    (y * lucid.tensor(dy)).sum().backward()
    recorded = dict(args)
    if isinstance(recorded['normalized_shape'], tuple):
        recorded['normalized_shape'] = list(recorded['normalized_shape'])
    return {
        'name': name, 'api': 'lucid.nn.LayerNorm', 'args': recorded, 'data': kind,
        'x': tensor(x.data), 'dy': tensor(dy),
        'params': {n: tensor(p.data) for n, p in params.items()},
        'params_set': True,
        'y': tensor(y.data),
        'grads': {'x': tensor(x.grad)},
        'own_param_grads': {n: tensor(p.grad) for n, p in params.items()},
    }


def main():
    cases = [case(i, *c) for i, c in enumerate(CASES)]
    # Lucid imports MLX, but its 'cpu' device (the one used here) computes with numpy.
    write(out_path('lucid'), 'lucid', version('lucid-dl'), 'lucid.nn.LayerNorm', cases,
          {'mlx': mx.__version__})


main()
