"""Keras twin of tfjs-layernorm's `LayerNorm` layer.

Importing this package registers `LayerNorm` as serializable with every
Keras that is installed: Keras 3 (`tfjs_layernorm.LayerNorm`) and tf-keras
(`tfjs_layernorm.TfKerasLayerNorm`), so `load_model` needs no
`custom_objects` and TF.js's model.json (class name `LayerNorm`) loads.
"""
import importlib.util

from tfjs_layernorm.layer import define_layer_norm

__all__ = ["define_layer_norm"]

_INSTALL = ('pip install "./python[convert]" -c python/constraints-convert.txt '
            "(Keras 3 on TensorFlow, tf-keras and the converter; docs/keras.md)")

# A Keras that is absent is skipped; one that is installed but fails to import
# (Keras 3 without its backend) is an error that keeps its cause.
if importlib.util.find_spec("keras") is not None:
    try:
        import keras as _keras
    except ImportError as e:
        raise ImportError(
            f"tfjs_layernorm: Keras 3 is installed but cannot be imported: {e}. "
            "Install its backend (pip install tensorflow, or jax or torch with "
            f"KERAS_BACKEND set), or everything at once: {_INSTALL}") from e
    if int(_keras.__version__.split(".")[0]) >= 3:
        LayerNorm = define_layer_norm(_keras)
        __all__.append("LayerNorm")

if importlib.util.find_spec("tf_keras") is not None:
    import tf_keras as _tf_keras

    TfKerasLayerNorm = define_layer_norm(_tf_keras)
    __all__.append("TfKerasLayerNorm")

_NEEDS = {"LayerNorm": "Keras 3 (pip install keras tensorflow)",
          "TfKerasLayerNorm": "tf-keras (pip install tf-keras)"}


def __getattr__(name):
    # `from tfjs_layernorm import LayerNorm` without that Keras: say which to install.
    if name in _NEEDS:
        raise ImportError(f"tfjs_layernorm.{name} needs {_NEEDS[name]}, which is not "
                          f"installed; or install everything at once: {_INSTALL}")
    raise AttributeError(f"module 'tfjs_layernorm' has no attribute {name!r}")
