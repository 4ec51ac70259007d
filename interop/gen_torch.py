"""PyTorch: torch.nn.LayerNorm (normalized_shape: the trailing dims)."""
import torch

from common import make_dy, make_param, make_x, out_path, tensor, write

CASES = [
    # name, x shape, data kind, constructor args
    ('normalized_shape int, rank 2', (6, 5), 'mixed', {'normalized_shape': 5}),
    ('normalized_shape int, rows of mean 1e4', (3, 2, 4), 'large_mean', {'normalized_shape': 4}),
    ('normalized_shape tuple of 2, rank 4', (2, 3, 2, 3), 'mixed', {'normalized_shape': (2, 3)}),
    ('normalized_shape tuple of 3, rank 5', (2, 1, 3, 2, 2), 'normal',
     {'normalized_shape': (3, 2, 2), 'eps': 1e-6}),
    ('elementwise_affine off', (4, 3), 'mixed', {'normalized_shape': (3,),
                                                 'elementwise_affine': False}),
    ('bias off', (3, 2, 2), 'small_spread', {'normalized_shape': 2, 'bias': False}),
    ('groups of 1, eps 1e-3', (4, 1), 'normal', {'normalized_shape': 1, 'eps': 1e-3}),
    ('constant rows', (5, 3), 'constant', {'normalized_shape': [3]}),
    # eps 0 is accepted; a constant row is then 0 / 0 (groups of 4: its mean is exact).
    ('eps 0', (4, 5), 'normal', {'normalized_shape': 5, 'eps': 0.0}),
    ('eps 0, constant rows (0 / 0)', (3, 4), 'constant', {'normalized_shape': 4, 'eps': 0.0}),
]


def case(index, name, shape, kind, args):
    torch.manual_seed(index)
    ns = args['normalized_shape']
    ns = (ns,) if isinstance(ns, int) else tuple(ns)
    axes = list(range(len(shape) - len(ns), len(shape)))
    layer = torch.nn.LayerNorm(**args)
    with torch.no_grad():
        if layer.weight is not None:
            layer.weight.copy_(torch.from_numpy(make_param(ns, 300 + index, 1.0)))
        if layer.bias is not None:
            layer.bias.copy_(torch.from_numpy(make_param(ns, 400 + index, 0.0)))
    x = torch.from_numpy(make_x(shape, axes, kind, 100 + index)).requires_grad_(True)
    dy = make_dy(shape, 200 + index)
    y = layer(x)
    y.backward(torch.from_numpy(dy))
    params = {n: p for n, p in (('weight', layer.weight), ('bias', layer.bias)) if p is not None}
    grads = {'x': x.grad, **{n: p.grad for n, p in params.items()}}
    recorded = dict(args)
    if isinstance(recorded['normalized_shape'], tuple):
        recorded['normalized_shape'] = list(recorded['normalized_shape'])
    return {
        'name': name, 'api': 'torch.nn.LayerNorm', 'args': recorded, 'data': kind,
        'x': tensor(x.detach().numpy()), 'dy': tensor(dy),
        'params': {n: tensor(p.detach().numpy()) for n, p in params.items()},
        'params_set': True,
        'y': tensor(y.detach().numpy()),
        'grads': {n: tensor(g.numpy()) for n, g in grads.items()},
    }


def main():
    torch.use_deterministic_algorithms(True)
    cases = [case(i, *c) for i, c in enumerate(CASES)]
    write(out_path('torch'), 'torch', torch.__version__, 'torch.nn.LayerNorm', cases)


main()
