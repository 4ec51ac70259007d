"""`LayerNorm`: the same layer as tfjs-layernorm's TF.js `LayerNorm`.

Arguments, defaults, weight names and order (gamma, then beta) and config
keys are those of `getConfig()` in src/layers/layer_norm_layer.ts:
`y = (x - mean) / sqrt(var + epsilon) * gamma + beta`, mean and biased
variance over all of `axis` together; gamma and beta are shaped as the
input's sizes at `feature_axes` (default: the normalized axes) in ascending
axis order. `center`/`scale` off with an initializer other than the identity
keep a frozen (non-trainable) beta/gamma at its value, as MXNet Gluon does;
`rms_scaling` is Keras 3's (x not centered).
"""


def _is_identity(initializer, value):
    """Whether an initializer fills with `value` (Zeros, Ones or a Constant of it)."""
    name = type(initializer).__name__
    if name == ("Zeros" if value == 0 else "Ones"):
        return True
    return name == "Constant" and getattr(initializer, "value", None) == value


def _axes(value, rank, name):
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items or not all(isinstance(a, int) and not isinstance(a, bool)
                            for a in items):
        raise ValueError(f"LayerNorm: {name} must be an integer or a non-empty "
                         f"list of integers; got {value!r}")
    resolved = []
    for a in items:
        if a < -rank or a >= rank:
            raise ValueError(f"LayerNorm: {name} must hold integers in "
                             f"[-{rank}, {rank - 1}] for an input of rank "
                             f"{rank}; got {value!r}")
        a = a + rank if a < 0 else a
        if a in resolved:
            raise ValueError(f"LayerNorm: {name} must hold distinct axes; "
                             f"{value!r} names axis {a} twice")
        resolved.append(a)
    return sorted(resolved)


def _plain(value):
    return list(value) if isinstance(value, (list, tuple)) else value


def define_layer_norm(keras):
    """Defines and registers `LayerNorm` for one Keras module.

    `keras` is Keras 3 (`import keras`) or tf-keras (`import tf_keras`).
    """
    keras3 = int(keras.__version__.split(".")[0]) >= 3
    if keras3:
        ops = keras.ops
        mean = ops.mean
        rsqrt = ops.rsqrt
        reshape = ops.reshape
        square = ops.square
    else:
        import tensorflow as tf

        mean = tf.reduce_mean
        rsqrt = tf.math.rsqrt
        reshape = tf.reshape
        square = tf.square

    class LayerNorm(keras.layers.Layer):
        def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True,
                     beta_initializer="zeros", gamma_initializer="ones",
                     beta_regularizer=None, gamma_regularizer=None,
                     beta_constraint=None, gamma_constraint=None,
                     in_channels=0, feature_axes=None, rms_scaling=False, **kwargs):
            super().__init__(**kwargs)
            _axes(axis, 1 << 30, "axis")  # type and distinctness only
            if feature_axes is not None:
                _axes(feature_axes, 1 << 30, "feature_axes")
            if (not isinstance(epsilon, (int, float)) or isinstance(epsilon, bool)
                    or not epsilon >= 0 or epsilon == float("inf")):
                raise ValueError("LayerNorm: epsilon must be a finite number >= 0;"
                                 f" got {epsilon!r}")
            for name, value in (("center", center), ("scale", scale),
                                ("rms_scaling", rms_scaling)):
                if not isinstance(value, bool):
                    raise ValueError(f"LayerNorm: {name} must be True or False; "
                                     f"got {value!r}")
            if (not isinstance(in_channels, int) or isinstance(in_channels, bool)
                    or in_channels < 0):
                raise ValueError("LayerNorm: in_channels must be a non-negative "
                                 "integer (0 = taken from the first input); "
                                 f"got {in_channels!r}")
            self.axis = _plain(axis)
            self.epsilon = float(epsilon)
            self.center = center
            self.scale = scale
            self.rms_scaling = rms_scaling
            self.in_channels = in_channels
            self.feature_axes = _plain(feature_axes)
            self.beta_initializer = keras.initializers.get(beta_initializer)
            self.gamma_initializer = keras.initializers.get(gamma_initializer)
            self.beta_regularizer = keras.regularizers.get(beta_regularizer)
            self.gamma_regularizer = keras.regularizers.get(gamma_regularizer)
            self.beta_constraint = keras.constraints.get(beta_constraint)
            self.gamma_constraint = keras.constraints.get(gamma_constraint)
            self.supports_masking = True

        def _resolve(self, rank):
            axes = _axes(self.axis, rank, "axis")
            features = (axes if self.feature_axes is None
                        else _axes(self.feature_axes, rank, "feature_axes"))
            return axes, features

        def build(self, input_shape):
            shape = list(input_shape)
            axes, features = self._resolve(len(shape))
            sizes = [shape[a] for a in features]
            if any(s is None for s in sizes):
                if self.in_channels > 0 and len(features) == 1:
                    sizes = [self.in_channels]
                else:
                    raise ValueError(
                        f"LayerNorm '{self.name}': the input's size at axis "
                        f"{features} must be known to create gamma and beta (or "
                        f"give in_channels for a single axis); got input shape "
                        f"{shape}")
            size = 1
            for s in sizes:
                size *= s
            if self.in_channels > 0 and size != self.in_channels:
                raise ValueError(
                    f"LayerNorm '{self.name}': in_channels is {self.in_channels} "
                    f"but the input of shape {shape} has {size} elements at "
                    f"axis {features}; in_channels must be their product")
            self._param_shape = tuple(int(s) for s in sizes)
            self.gamma = self._parameter("gamma", self.scale, self.gamma_initializer,
                                         self.gamma_regularizer, self.gamma_constraint, 1)
            self.beta = self._parameter("beta", self.center, self.beta_initializer,
                                        self.beta_regularizer, self.beta_constraint, 0)
            self.built = True

        def _parameter(self, name, enabled, initializer, regularizer, constraint,
                       identity):
            if not enabled and _is_identity(initializer, identity):
                return None
            return self.add_weight(
                name=name, shape=self._param_shape, initializer=initializer,
                regularizer=regularizer if enabled else None,
                constraint=constraint if enabled else None, trainable=enabled)

        def call(self, inputs):
            rank = len(inputs.shape)
            axes, features = self._resolve(rank)
            mu = mean(inputs, axis=axes, keepdims=True)
            centered = inputs - mu
            var = mean(square(centered), axis=axes, keepdims=True)
            y = (inputs if self.rms_scaling else centered) * rsqrt(var + self.epsilon)
            broadcast = [1] * rank
            for a, s in zip(features, self._param_shape):
                broadcast[a] = s
            if self.gamma is not None:
                y = y * reshape(self.gamma, broadcast)
            if self.beta is not None:
                y = y + reshape(self.beta, broadcast)
            return y

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            config = {
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": keras.initializers.serialize(self.beta_initializer),
                "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
                "beta_regularizer": keras.regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": keras.regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": keras.constraints.serialize(self.beta_constraint),
                "gamma_constraint": keras.constraints.serialize(self.gamma_constraint),
                "in_channels": self.in_channels,
                "feature_axes": self.feature_axes,
            }
            if self.rms_scaling:  # written only when set, as the TF.js layer does
                config["rms_scaling"] = True
            return {**super().get_config(), **config}

    LayerNorm.__module__ = "tfjs_layernorm"
    # A bare-name registration: TF.js's model.json (and tf-keras' h5 config)
    # say class_name 'LayerNorm'.
    keras.utils.get_custom_objects()["LayerNorm"] = LayerNorm
    if keras3:
        LayerNorm = keras.saving.register_keras_serializable(
            package="tfjs_layernorm", name="LayerNorm")(LayerNorm)
    return LayerNorm
