"""Regenerates models/keras/: Keras models converted to TF.js by the real
`tensorflowjs_converter`, with the predictions Keras gave (io.json), and the
way back (a model trained in TF.js, converted to Keras, checked there).

  python python/make_models.py            # writes models/keras/
  python python/make_models.py --check    # regenerates elsewhere, compares

Run by `npm run keras-models` (scripts/keras_models.js), which sets up the
pinned virtual environment first.
"""
import argparse
import json
import math
import re
import os
import shutil
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# oneDNN's graph rewrites would turn tf-keras' FusedBatchNormV3 into
# _MklLayerNorm, which the converter rejects; off, the numbers are also the
# same on every x86 machine.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflowjs  # noqa: E402
from tensorflowjs.converters import converter as tfjs_converter  # noqa: E402
import tf_keras  # noqa: E402

import tfjs_layernorm  # noqa: E402

VERSIONS = {
    "tensorflow": tf.__version__, "keras": keras.__version__,
    "tf_keras": tf_keras.__version__, "tensorflowjs": tensorflowjs.__version__,
}
# Numbers regenerated elsewhere may differ in the last bits (BLAS threads).
ATOL = 1e-5


def run(cmd, **kwargs):
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "python")}
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


def converter(*args):
    """tensorflowjs_converter ARGS, in this process (the CLI's own entry,
    without starting TensorFlow again for each model)."""
    tfjs_converter.convert(list(args))


def seeded(shape, seed, scale=1.0, shift=0.0):
    return (np.random.RandomState(seed).standard_normal(shape) * scale + shift).astype("float32")


def set_weights(model, seed):
    """Every weight from a seeded normal (gamma around 1), independent of the
    frameworks' initializers, so both Keras flavours hold the same numbers."""
    for i, w in enumerate(model.weights):
        name = w.name.split("/")[-1].split(":")[0]
        if name == "gamma":
            w.assign(seeded(w.shape, seed + i, 0.3, 1.0))
        else:
            w.assign(seeded(w.shape, seed + i, 0.4))


# Models ------------------------------------------------------------------


def mlp(K, norm):
    return K.Sequential([
        K.Input((8,)),
        K.layers.Dense(16, activation="relu", name="hidden"),
        norm(name="norm"),
        K.layers.Dense(4, name="out"),
    ], name="mlp")


def transformer(K, norm, second=None):
    """Single-head self-attention (Dense q/k/v, Dot, Softmax) + residual +
    norm, then a feed-forward + residual + norm, on [seq 6, d 8]."""
    second = second or norm
    x = K.Input((6, 8), name="tokens")
    q = K.layers.Dense(8, name="query")(x)
    k = K.layers.Dense(8, name="key")(x)
    v = K.layers.Dense(8, name="value")(x)
    scores = K.layers.Dot(axes=(2, 2), name="scores")([q, k])
    weights = K.layers.Softmax(axis=-1, name="attention")(scores)
    attended = K.layers.Dot(axes=(2, 1), name="attend")([weights, v])
    mixed = K.layers.Dense(8, name="attention_out")(attended)
    h = norm(name="norm_1")(K.layers.Add(name="residual_1")([x, mixed]))
    ff = K.layers.Dense(16, activation="relu", name="ff_in")(h)
    ff = K.layers.Dense(8, name="ff_out")(ff)
    y = second(name="norm_2")(K.layers.Add(name="residual_2")([h, ff]))
    return K.Model(x, y, name="block")


def cnn_nchw(K, norm):
    # TensorFlow's CPU Conv2D takes NHWC only (without oneDNN): the conv runs
    # NHWC and Permute hands LayerNorm an NCHW tensor.
    return K.Sequential([
        K.Input((6, 6, 3)),
        K.layers.Conv2D(4, 3, padding="same", name="conv"),
        K.layers.Permute((3, 1, 2), name="to_nchw"),
        norm(axis=1, in_channels=4, name="norm"),
        K.layers.ReLU(name="relu"),
        K.layers.GlobalAveragePooling2D(data_format="channels_first", name="pool"),
        K.layers.Dense(3, name="out"),
    ], name="cnn")


FLAVOURS = {
    # name: (Keras module, twin class, saved file suffix)
    "keras3": (keras, tfjs_layernorm.LayerNorm, ".keras"),
    "tf_keras": (tf_keras, tfjs_layernorm.TfKerasLayerNorm, ".h5"),
}
# The converter's --input_format for each saved file.
INPUT_FORMAT = {".keras": "keras_keras", ".h5": "keras"}
LAYERS_MODELS = {
    "mlp": (mlp, (4, 8), "Sequential MLP: Dense(16, relu) -> LayerNorm(-1) -> Dense(4)"),
    "transformer": (transformer, (2, 6, 8),
                    "Functional block: single-head attention (Dense q/k/v, Dot, Softmax, Dot, Dense) "
                    "+ residual -> LayerNorm(-1) -> Dense(16, relu) -> Dense(8) + residual -> LayerNorm(-1)"),
    "cnn_nchw": (cnn_nchw, (2, 6, 6, 3),
                 "Conv2D(4, 3x3) -> Permute to NCHW -> LayerNorm(axis 1, in_channels 4) -> ReLU -> "
                 "GlobalAveragePooling2D -> Dense(3)"),
}


def write_io(folder, description, x, y, extra=None):
    io = {
        "description": description,
        "generatedBy": "python/make_models.py",
        "versions": VERSIONS,
        "inputShape": list(x.shape), "input": x.reshape(-1).tolist(),
        "outputShape": list(y.shape), "output": y.reshape(-1).tolist(),
        **(extra or {}),
    }
    with open(os.path.join(folder, "io.json"), "w") as f:
        json.dump(io, f, indent=1)
        f.write("\n")


def layers_models(out, tmp):
    for flavour, (K, twin, suffix) in FLAVOURS.items():
        for index, (name, (build, shape, description)) in enumerate(LAYERS_MODELS.items()):
            model = build(K, twin)
            set_weights(model, 100 * index)
            x = seeded(shape, 7 + index)
            y = np.asarray(model.predict(x, verbose=0))
            work = os.path.join(tmp, f"{flavour}_{name}")
            os.makedirs(work)
            source = os.path.join(work, "model" + suffix)
            model.save(source)
            folder = os.path.join(out, f"{flavour}_{name}")
            converter("--input_format", INPUT_FORMAT[suffix], "--output_format", "tfjs_layers_model", source, folder)
            write_io(folder, f"{flavour} ({K.__name__} {K.__version__}), twin LayerNorm: {description}", x, y)
            print(f"  {flavour}_{name}: converted {os.path.basename(source)}")

    # Keras's own LayerNormalization (what useFusedLayerNormalization speeds up).
    model = transformer(keras, keras.layers.LayerNormalization,
                        lambda name: keras.layers.LayerNormalization(axis=[-2, -1], epsilon=1e-5, name=name))
    set_weights(model, 900)
    x = seeded((2, 6, 8), 21)
    y = np.asarray(model.predict(x, verbose=0))
    work = os.path.join(tmp, "builtin")
    os.makedirs(work)
    model.save(os.path.join(work, "model.keras"))
    folder = os.path.join(out, "keras3_transformer_builtin")
    converter("--input_format", "keras_keras", "--output_format", "tfjs_layers_model",
              os.path.join(work, "model.keras"), folder)
    write_io(folder, "keras3, keras.layers.LayerNormalization (norm_1: axis -1, epsilon 1e-3 default; "
             "norm_2: axis [-2, -1], epsilon 1e-5): " + LAYERS_MODELS["transformer"][2], x, y)
    print("  keras3_transformer_builtin: converted model.keras")


# Saved after compile and fit, as users save: .keras files then carry the
# optimizer's variables (`optimizer/vars/<i>` in the converted manifest).
TRAINED = {
    # name: (Keras module, saved file suffix, model, optimizer, description)
    "keras3_trained_adam": (keras, ".keras", "mlp", lambda K: K.optimizers.Adam(1e-2), "Adam(1e-2)"),
    "keras3_trained_sgd_momentum": (keras, ".keras", "transformer_builtin",
                                    lambda K: K.optimizers.SGD(1e-2, momentum=0.9), "SGD(1e-2, momentum 0.9)"),
    "keras3_h5_trained_adam": (keras, ".h5", "mlp", lambda K: K.optimizers.Adam(1e-2), "Adam(1e-2)"),
    "tf_keras_trained_adam": (tf_keras, ".h5", "mlp", lambda K: K.optimizers.Adam(1e-2), "Adam(1e-2)"),
    "tf_keras_trained_sgd_momentum": (tf_keras, ".h5", "transformer_builtin",
                                      lambda K: K.optimizers.SGD(1e-2, momentum=0.9), "SGD(1e-2, momentum 0.9)"),
}
TRAINED_EPOCHS = 2


def trained_models(out, tmp):
    for index, (name, (K, suffix, model_name, optimizer, optimizer_text)) in enumerate(TRAINED.items()):
        twin = tfjs_layernorm.LayerNorm if K is keras else tfjs_layernorm.TfKerasLayerNorm
        if model_name == "mlp":
            model = mlp(K, twin)
            shape, description = LAYERS_MODELS["mlp"][1], LAYERS_MODELS["mlp"][2]
        else:
            model = transformer(K, K.layers.LayerNormalization)
            shape = LAYERS_MODELS["transformer"][1]
            description = LAYERS_MODELS["transformer"][2] + f" ({K.__name__}.layers.LayerNormalization)"
        set_weights(model, 1000 + 100 * index)
        x_train = seeded((32, *shape[1:]), 40 + index)
        t_train = x_train[..., :model.output_shape[-1]] * 0.5
        model.compile(optimizer=optimizer(K), loss="mse")
        before = float(model.evaluate(x_train, t_train, verbose=0))
        model.fit(x_train, t_train, epochs=TRAINED_EPOCHS, batch_size=8, shuffle=False, verbose=0)
        after = float(model.evaluate(x_train, t_train, verbose=0))
        x = seeded(shape, 60 + index)
        y = np.asarray(model.predict(x, verbose=0))
        work = os.path.join(tmp, name)
        os.makedirs(work)
        source = os.path.join(work, "model" + suffix)
        model.save(source)
        folder = os.path.join(out, name)
        converter("--input_format", INPUT_FORMAT[suffix], "--output_format", "tfjs_layers_model", source, folder)
        manifest = json.load(open(os.path.join(folder, "model.json")))["weightsManifest"]
        optimizer_weights = [w["name"] for g in manifest for w in g["weights"] if w["name"].startswith("optimizer/")]
        write_io(folder, f"{K.__name__} {K.__version__}, compiled with {optimizer_text} and mse, trained "
                 f"{TRAINED_EPOCHS} epochs, saved as {suffix}: {description}", x, y,
                 {"optimizer": optimizer_text, "loss": {"beforeTraining": before, "afterTraining": after},
                  "convertedOptimizerWeights": len(optimizer_weights)})
        print(f"  {name}: converted {os.path.basename(source)} ({len(optimizer_weights)} optimizer weights)")


@keras.saving.register_keras_serializable(package="tfjs_layernorm_fixtures")
class TinyBackbone(keras.Model):
    """A functional network kept as one custom class, as keras-hub's
    backbones (BertBackbone...) are: its config holds the constructor's
    arguments, not the layers."""

    def __init__(self, hidden_dim=8, **kwargs):
        tokens = keras.Input((6, hidden_dim), name="tokens")
        y = tfjs_layernorm.LayerNorm(name="norm")(keras.layers.Dense(hidden_dim, name="proj")(tokens))
        super().__init__(inputs=tokens, outputs=y, **kwargs)
        self.hidden_dim = hidden_dim

    def get_config(self):
        return {"hidden_dim": self.hidden_dim, "name": self.name, "trainable": self.trainable}


def custom_class_model(out, tmp):
    model = TinyBackbone(name="tiny_backbone")
    set_weights(model, 1900)
    x = seeded((2, 6, 8), 71)
    y = np.asarray(model.predict(x, verbose=0))
    source = os.path.join(tmp, "backbone.keras")
    model.save(source)
    folder = os.path.join(out, "keras3_custom_backbone")
    converter("--input_format", "keras_keras", "--output_format", "tfjs_layers_model", source, folder)
    write_io(folder, "keras3: a functional network saved as one custom Model subclass (TinyBackbone, "
             "like keras-hub's BertBackbone): Dense(8) -> LayerNorm(-1) on tokens [6, 8]", x, y)
    print("  keras3_custom_backbone: converted backbone.keras")


def graph_models(out, tmp):
    """SavedModels with Keras's LayerNormalization, converted to graph models.
    tf-keras lowers it to FusedBatchNormV3 in training mode (tfjs#6864)."""
    for flavour, K in (("tf_keras", tf_keras), ("keras3", keras)):
        x_in = K.Input((6, 8), name="tokens")
        h = K.layers.Dense(8, name="mix")(x_in)
        h = K.layers.LayerNormalization(name="norm_1")(K.layers.Add()([x_in, h]))
        h = K.layers.Dense(8, activation="relu", name="ff")(h)
        y_out = K.layers.LayerNormalization(epsilon=1e-5, name="norm_2")(h)
        model = K.Model(x_in, y_out, name="graph_block")
        set_weights(model, 500)
        x = seeded((2, 6, 8), 31)
        y = np.asarray(model.predict(x, verbose=0))
        saved = os.path.join(tmp, f"graph_{flavour}")
        if flavour == "tf_keras":
            model.save(saved, save_format="tf")
        else:
            model.export(saved, verbose=False)
        folder = os.path.join(out, f"graph_{flavour}")
        converter("--input_format", "tf_saved_model", "--output_format", "tfjs_graph_model",
                  "--signature_name", "serving_default", "--saved_model_tags", "serve", saved, folder)
        ops = sorted({n["op"] for n in json.load(open(os.path.join(folder, "model.json")))
                      ["modelTopology"]["node"]})
        write_io(folder, f"{flavour} ({K.__name__} {K.__version__}) SavedModel -> graph model: tokens [6, 8] + "
                 "Dense(8) -> LayerNormalization (epsilon 1e-3) -> Dense(8, relu) -> LayerNormalization "
                 "(epsilon 1e-5)", x, y, {"graphOps": ops})
        print(f"  graph_{flavour}: ops {ops}")


def reverse(out, tmp):
    """TF.js -> Keras: trained with model.fit in TF.js, converted with the
    converter's command line as documented (`python -m
    tfjs_layernorm.convert`, the twin registered), loaded, predicted and
    trained on in Python."""
    run(["node", "-e", "require('./scripts/run_typescript').runTypeScript("
         f"'scripts/keras_tfjs_trained.ts', [{json.dumps(out)}]).then(s => process.exit(s))"], cwd=ROOT)
    # Keras 3's legacy .h5 loader drops an `axis` list of more than one
    # element (keras/src/legacy/saving/saving_utils.py): not required there.
    return (reverse_one(out, tmp, "tfjs_trained", optional={"keras_h5 (keras 3)"})
            + reverse_one(out, tmp, "tfjs_trained_mlp", optional=set()))


def reverse_one(out, tmp, name, optional):
    tmp = os.path.join(tmp, name)
    os.makedirs(tmp)
    folder = os.path.join(out, name)
    io = json.load(open(os.path.join(folder, "io.json")))
    x = np.asarray(io["input"], "float32").reshape(io["inputShape"])
    t = np.asarray(io["target"], "float32").reshape(io["targetShape"])
    expected = np.asarray(io["output"], "float32").reshape(io["outputShape"])
    model_json = os.path.join(folder, "model.json")
    convert = [sys.executable, "-m", "tfjs_layernorm.convert", "--input_format", "tfjs_layers_model"]
    h5 = os.path.join(tmp, "tfjs_trained.h5")
    saved = os.path.join(tmp, "tfjs_trained_saved_model")
    v3 = os.path.join(tmp, "tfjs_trained.keras")
    report = {"description": "TF.js-trained model converted back by tensorflowjs_converter, loaded with "
                             "the twin; maxAbsDiff against TF.js's predictions; loss before/after 5 epochs "
                             "of fit in Python", "versions": VERSIONS}
    conversions = {}
    for output_format, path in (("keras", h5), ("keras_saved_model", saved), ("keras_keras", v3)):
        try:
            run(convert + ["--output_format", output_format, model_json, path])
        except RuntimeError as e:
            conversions[output_format] = str(e).strip().splitlines()[-1]
    loaders = {
        "keras_h5 (tf_keras)": ("keras", lambda: tf_keras.models.load_model(h5)),
        "keras_h5 (keras 3)": ("keras", lambda: keras.models.load_model(h5)),
        "keras_saved_model (tf_keras)": ("keras_saved_model", lambda: tf_keras.models.load_model(saved)),
    }
    # Recorded, not required: the converter's tfjs -> .keras path fails on
    # its own weight lookup.
    report["keras_keras (converter)"] = {"error": conversions.get("keras_keras", "none")}
    for label, (output_format, load) in loaders.items():
        if output_format in conversions:
            report[label] = {"ok": False, "error": "conversion failed: " + conversions[output_format]}
            continue
        try:
            model = load()
            y = np.asarray(model.predict(x, verbose=0))
            diff = float(np.max(np.abs(y - expected)))
            model.compile(optimizer="adam", loss="mse")
            before = float(model.evaluate(x, t, verbose=0))
            model.fit(x, t, epochs=5, batch_size=8, shuffle=False, verbose=0)
            after = float(model.evaluate(x, t, verbose=0))
            report[label] = {"maxAbsDiff": diff, "lossBefore": before, "lossAfter": after,
                             "ok": diff <= ATOL and after < before}
        except Exception as e:  # recorded, and fails the run below
            report[label] = {"ok": False, "error": f"{type(e).__name__}: {str(e)[:500]}"}
        print(f"  {name} -> {label}: {report[label]}")
    with open(os.path.join(folder, "python_check.json"), "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    return [label for label in loaders if label not in optional and not report[label]["ok"]]


# Check -------------------------------------------------------------------


def weight_file_key(name):
    # TF.js saves through nodeFileSystem publish weights under a fresh name each time.
    return re.sub(r"^weights\.[0-9a-f]+\.bin$", "weights.bin", name)


def compare_json(a, b, where, problems, atol):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if not (math.isclose(a, b, abs_tol=atol, rel_tol=1e-4)):
            problems.append(f"{where}: {a} != {b}")
    elif isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            problems.append(f"{where}: keys {sorted(set(a) ^ set(b))} differ")
        # Keras 3 writes an object's memory address as its shared_object_id.
        for key in (set(a) & set(b)) - {"shared_object_id"}:
            compare_json(a[key], b[key], f"{where}.{key}", problems, atol)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            compare_json(x, y, f"{where}[{i}]", problems, atol)
    elif a != b and not (isinstance(a, str) and isinstance(b, str)
                         and weight_file_key(a) == weight_file_key(b)):
        problems.append(f"{where}: {str(a)[:80]} != {str(b)[:80]}")


def check(committed, fresh):
    problems = []
    names = sorted(os.listdir(committed))
    if names != sorted(os.listdir(fresh)):
        problems.append(f"folders differ: {names} vs {sorted(os.listdir(fresh))}")
    for name in names:
        fresh_files = {weight_file_key(f): f for f in os.listdir(os.path.join(fresh, name))}
        for file in sorted(os.listdir(os.path.join(committed, name))):
            a = os.path.join(committed, name, file)
            b = os.path.join(fresh, name, fresh_files.get(weight_file_key(file), file))
            if not os.path.exists(b):
                problems.append(f"{name}/{file}: not regenerated")
            elif file.endswith(".json"):
                # Losses after training depend on the platform's float order more than outputs do.
                atol = 1e-3 if file == "python_check.json" else ATOL
                compare_json(json.load(open(a)), json.load(open(b)), f"{name}/{file}", problems, atol)
            else:
                # Weight files also hold int32 constants: those compare bit for bit
                # (as NaN patterns or denormals when read as float32).
                x, y = np.fromfile(a, "float32"), np.fromfile(b, "float32")
                if x.shape != y.shape or not np.allclose(x, y, atol=ATOL, rtol=1e-4, equal_nan=True):
                    problems.append(f"{name}/{file}: weights differ")
    return problems


def generate(out):
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print("Keras -> TF.js layers models")
        layers_models(out, tmp)
        print("Keras, trained and saved -> TF.js layers models")
        trained_models(out, tmp)
        custom_class_model(out, tmp)
        print("Keras -> SavedModel -> TF.js graph models")
        graph_models(out, tmp)
        print("TF.js -> Keras")
        return reverse(out, tmp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a temporary folder and compare with models/keras")
    args = parser.parse_args()
    committed = os.path.join(ROOT, "models", "keras")
    print("versions:", VERSIONS)
    if args.check:
        with tempfile.TemporaryDirectory() as fresh:
            failed = generate(fresh)
            problems = check(committed, fresh)
    else:
        shutil.rmtree(committed, ignore_errors=True)
        failed = generate(committed)
        problems = []
    for problem in problems[:40]:
        print("MISMATCH", problem)
    if failed:
        print("FAILED in Python:", failed)
    if problems or failed:
        sys.exit(1)
    print("models/keras: " + ("matches a fresh regeneration" if args.check else "written"))


if __name__ == "__main__":
    main()
