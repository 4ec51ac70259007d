"""Keras twin of tfjs-layernorm's `LayerNorm` layer.

Importing this package registers `LayerNorm` as serializable with every
Keras that is installed: Keras 3 (`tfjs_layernorm.LayerNorm`) and tf-keras
(`tfjs_layernorm.TfKerasLayerNorm`), so `load_model` needs no
`custom_objects` and TF.js's model.json (class name `LayerNorm`) loads.
"""
from tfjs_layernorm.layer import define_layer_norm

__all__ = ["define_layer_norm"]

try:
    import keras as _keras

    if int(_keras.__version__.split(".")[0]) >= 3:
        LayerNorm = define_layer_norm(_keras)
        __all__.append("LayerNorm")
except ImportError:
    pass

try:
    import tf_keras as _tf_keras

    TfKerasLayerNorm = define_layer_norm(_tf_keras)
    __all__.append("TfKerasLayerNorm")
except ImportError:
    pass
