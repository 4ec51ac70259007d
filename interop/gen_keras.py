"""Keras 3 keras.layers.LayerNormalization and tf-keras (Keras 2), TensorFlow backend."""
import os
import sys

os.environ.setdefault('KERAS_BACKEND', 'tensorflow')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from common import make_dy, make_param, make_x, out_path, tensor, write  # noqa: E402

BOTH = ('keras3', 'tf-keras')
CASES = [
    # name, x shape, data kind, constructor args, flavours that have them
    ('defaults, rank 2', (6, 5), 'mixed', {}, BOTH),
    ('axis [1, 2], rank 3', (2, 3, 2), 'normal', {'axis': [1, 2]}, BOTH),
    ('axis [1, 3], rank 4', (2, 2, 2, 3), 'mixed', {'axis': [1, 3]}, BOTH),
    # Keras 3 shapes gamma/beta by the list sorted, tf-keras in the given order.
    ('axis [3, 1] (unsorted), rank 4', (2, 2, 2, 3), 'normal', {'axis': [3, 1]}, BOTH),
    ('rows of mean 1e4', (3, 4), 'large_mean', {'epsilon': 1e-5}, BOTH),
    ('center off, rank 5', (2, 1, 2, 2, 3), 'small_spread', {'center': False}, BOTH),
    ('scale off, constant rows', (4, 3), 'constant', {'scale': False}, BOTH),
    ('groups of 1, axis 1', (3, 1, 2), 'normal', {'axis': 1}, BOTH),
    ('axis [-1, 1] (signs mixed), rank 4', (2, 3, 2, 4), 'mixed', {'axis': [-1, 1]}, BOTH),
    # epsilon 0 is accepted; a constant row is then 0 / 0 (groups of 4: its mean is exact).
    ('epsilon 0', (4, 5), 'normal', {'epsilon': 0.0}, BOTH),
    ('epsilon 0, constant rows (0 / 0)', (3, 4), 'constant', {'epsilon': 0.0}, BOTH),
    # Keras 3 only (deprecated there): x * rsqrt(var + epsilon) * gamma, gamma always, no beta.
    ('rms_scaling, rank 3', (2, 3, 4), 'normal', {'rms_scaling': True}, ('keras3',)),
    ('rms_scaling, axis [3, 1], scale off, center on', (2, 2, 2, 3), 'mixed',
     {'rms_scaling': True, 'axis': [3, 1], 'scale': False}, ('keras3',)),
]


def axes_list(a, rank):
    return [v % rank for v in ((a,) if isinstance(a, int) else a)]


def case(module, index, name, shape, kind, args):
    layer = module.layers.LayerNormalization(**args)
    # What a user ports: the config of the layer as constructed (build() rewrites axis: Keras 3
    # sorts the list, tf-keras resolves negative axes).
    config = layer.get_config()
    rank = len(shape)
    axes = axes_list(args.get('axis', -1), rank)
    x = tf.constant(make_x(shape, axes, kind, 100 + index))
    layer.build(x.shape)
    params = {}
    for w, center in (('gamma', 1.0), ('beta', 0.0)):
        v = getattr(layer, w, None)
        if v is not None:
            v.assign(make_param(tuple(v.shape), (300 if w == 'gamma' else 400) + index, center))
            params[w] = v
    dy = tf.constant(make_dy(shape, 200 + index))
    names = list(params)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
    grads = tape.gradient(y, [x] + [params[n] for n in names], output_gradients=dy)
    return {
        'name': name, 'api': module.__name__ + '.layers.LayerNormalization',
        'args': args, 'config': config, 'data': kind,
        'x': tensor(x.numpy()), 'dy': tensor(dy.numpy()),
        'params': {n: tensor(np.asarray(params[n].numpy())) for n in names},
        'params_set': True,
        'y': tensor(y.numpy()),
        'grads': {n: tensor(np.asarray(g)) for n, g in zip(['x'] + names, grads)},
    }


def main():
    which = os.environ['KERAS_FLAVOUR']
    if which == 'keras3':
        import keras as module
    else:
        import tf_keras as module
    cases = [case(module, i, *c[:4]) for i, c in enumerate(CASES) if which in c[4]]
    write(out_path(which), module.__name__.replace('_', '-'), module.__version__,
          module.__name__ + '.layers.LayerNormalization', cases,
          {'tensorflow': tf.__version__})


main()
