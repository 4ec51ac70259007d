"""`python -m tfjs_layernorm.convert ARGS`: tensorflowjs_converter with
`LayerNorm` registered, for conversions that rebuild the model in Python
(`--input_format tfjs_layers_model --output_format keras|keras_saved_model`)."""
import tfjs_layernorm  # noqa: F401  (registers LayerNorm)
from tensorflowjs.converters.converter import pip_main

if __name__ == "__main__":
    pip_main()
