"""MXNet 1.9: mxnet.gluon.nn.LayerNorm and mx.nd.LayerNorm(output_mean_var=True)."""
import mxnet as mx
import numpy as np
from mxnet import autograd
from mxnet.gluon import nn

from common import make_dy, make_param, make_x, out_path, tensor, write

GLUON_CASES = [
    # name, shape, data kind, layer args, set gamma/beta to non-trivial values
    ('axis -1, rank 2', (6, 5), 'mixed', {}, True),
    ('axis 1 of NCHW', (2, 3, 2, 2), 'mixed', {'axis': 1}, True),
    ('axis 1 of NCHW, rows of mean 1e4', (2, 3, 2, 2), 'large_mean', {'axis': 1}, True),
    ('center off', (3, 4, 2), 'normal', {'center': False}, True),
    ('scale off, axis 1', (3, 4, 2), 'small_spread', {'axis': 1, 'scale': False}, True),
    ('center and scale off, groups of 1', (2, 3, 1, 2, 2), 'mixed',
     {'axis': 2, 'center': False, 'scale': False}, False),
    ('epsilon 1e-3, variance near epsilon', (4, 3), 'small_spread', {'epsilon': 1e-3}, True),
    ('non-default initializers', (2, 2, 2, 3), 'normal',
     {'gamma_initializer': ('Constant', 1.5), 'beta_initializer': ('Constant', -0.25)}, False),
    ('deferred in_channels (0)', (5, 4), 'constant', {'in_channels': 0}, True),
    ('explicit in_channels', (2, 4, 3), 'normal', {'axis': 1, 'in_channels': 4}, True),
    # center/scale off keep beta/gamma, frozen at what their initializer gives, and apply them.
    ('center off, beta_initializer Constant(0.5)', (3, 4), 'normal',
     {'center': False, 'beta_initializer': ('Constant', 0.5)}, False),
    ('scale off, gamma_initializer Constant(2), axis 1', (2, 3, 2), 'normal',
     {'axis': 1, 'scale': False, 'gamma_initializer': ('Constant', 2.0)}, False),
    ('epsilon 0', (4, 5), 'normal', {'epsilon': 0.0}, True),
    ('epsilon 0, constant rows (0 / 0)', (3, 4), 'constant', {'epsilon': 0.0}, True),
]


def gluon_case(index, name, shape, kind, args, set_params):
    axis = args.get('axis', -1)
    kwargs = dict(args)
    for key in ('gamma_initializer', 'beta_initializer'):
        if key in kwargs:
            kwargs[key] = getattr(mx.init, kwargs[key][0])(kwargs[key][1])
    layer = nn.LayerNorm(**kwargs)
    layer.initialize()
    x = mx.nd.array(make_x(shape, [axis], kind, 100 + index))
    dy = make_dy(shape, 200 + index)
    channels = shape[axis]
    layer(x)  # completes deferred initialization
    # Only the learned ones: with center/scale off Gluon keeps beta/gamma, frozen at their
    # initial value (their initializer's), and still applies them.
    if set_params and args.get('scale', True):
        layer.gamma.set_data(mx.nd.array(make_param((channels,), 300 + index, 1.0)))
    if set_params and args.get('center', True):
        layer.beta.set_data(mx.nd.array(make_param((channels,), 400 + index, 0.0)))
    x.attach_grad()
    with autograd.record():
        y = layer(x)
    y.backward(mx.nd.array(dy))
    params = {p: getattr(layer, p).data().asnumpy() for p in ('gamma', 'beta')}
    grads = {'x': x.grad.asnumpy()}
    for p in ('gamma', 'beta'):
        if getattr(layer, p).grad_req != 'null':
            grads[p] = getattr(layer, p).grad().asnumpy()
    recorded_args = dict(args)
    for key in ('gamma_initializer', 'beta_initializer'):
        if key in args:
            recorded_args[key] = {'class': 'mxnet.init.' + args[key][0], 'value': args[key][1]}
    return {
        'name': name, 'api': 'mxnet.gluon.nn.LayerNorm', 'args': recorded_args, 'data': kind,
        'x': tensor(x.asnumpy()), 'dy': tensor(dy),
        'params': {k: tensor(v) for k, v in params.items()},
        'params_set': set_params,
        'y': tensor(y.asnumpy()), 'grads': {k: tensor(v) for k, v in grads.items()},
    }


def docs_example():
    """The example of gluon.nn.LayerNorm's docstring, default initialization."""
    x = mx.nd.array([[1, 2, 3, 4, 5], [1, 1, 2, 2, 2]])
    layer = nn.LayerNorm()
    layer.initialize(ctx=mx.cpu(0))
    dy = make_dy((2, 5), 500)
    x.attach_grad()
    with autograd.record():
        y = layer(x)
    y.backward(mx.nd.array(dy))
    return {
        'name': 'docs example', 'api': 'mxnet.gluon.nn.LayerNorm', 'args': {}, 'data': 'docs',
        'x': tensor(x.asnumpy()), 'dy': tensor(dy),
        'params': {'gamma': tensor(layer.gamma.data().asnumpy()),
                   'beta': tensor(layer.beta.data().asnumpy())},
        'params_set': False,
        'y': tensor(y.asnumpy()),
        'grads': {'x': tensor(x.grad.asnumpy()), 'gamma': tensor(layer.gamma.grad().asnumpy()),
                  'beta': tensor(layer.beta.grad().asnumpy())},
    }


NDARRAY_CASES = [
    ('mx.nd.LayerNorm output_mean_var, axis -1', (3, 2, 4), 'mixed', -1, 1e-5),
    ('mx.nd.LayerNorm output_mean_var, axis 0', (3, 4), 'normal', 0, 1e-4),
]


def ndarray_case(index, name, shape, kind, axis, eps):
    x = mx.nd.array(make_x(shape, [axis], kind, 600 + index))
    gamma = mx.nd.array(make_param((shape[axis],), 700 + index, 1.0))
    beta = mx.nd.array(make_param((shape[axis],), 800 + index, 0.0))
    dy = make_dy(shape, 900 + index)
    for t in (x, gamma, beta):
        t.attach_grad()
    with autograd.record():
        y, mean, std = mx.nd.LayerNorm(x, gamma, beta, axis=axis, eps=eps, output_mean_var=True)
    y.backward(mx.nd.array(dy))
    return {
        'name': name, 'api': 'mxnet.nd.LayerNorm',
        'args': {'axis': axis, 'eps': eps, 'output_mean_var': True}, 'data': kind,
        'x': tensor(x.asnumpy()), 'dy': tensor(dy),
        'params': {'gamma': tensor(gamma.asnumpy()), 'beta': tensor(beta.asnumpy())},
        'params_set': True,
        'y': tensor(y.asnumpy()),
        'outputs': {'mean': tensor(mean.asnumpy()), 'std': tensor(std.asnumpy())},
        'grads': {'x': tensor(x.grad.asnumpy()), 'gamma': tensor(gamma.grad.asnumpy()),
                  'beta': tensor(beta.grad.asnumpy())},
    }


def main():
    mx.random.seed(0)
    np.random.seed(0)
    cases = [gluon_case(i, *c) for i, c in enumerate(GLUON_CASES)]
    cases.append(docs_example())
    cases += [ndarray_case(i, *c) for i, c in enumerate(NDARRAY_CASES)]
    write(out_path('mxnet'), 'mxnet', mx.__version__,
          'mxnet.gluon.nn.LayerNorm, mxnet.nd.LayerNorm', cases)


main()
