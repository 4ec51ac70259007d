var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// src/kernel_names.ts
var LayerNormKernel, LayerNormGradKernel;
var init_kernel_names = __esm({
  "src/kernel_names.ts"() {
    "use strict";
    LayerNormKernel = "TfjsLayerNorm";
    LayerNormGradKernel = "TfjsLayerNormGrad";
  }
});

// src/layer_norm_util.ts
function normalizeAxes(axis, rank) {
  const list = Array.isArray(axis) ? axis : [axis];
  const expected = `an integer or an array of distinct integers in [-${rank}, ${rank - 1}]`;
  if (list.length === 0) {
    throw new Error(`layerNorm: axis must be ${expected}; got []`);
  }
  const seen = /* @__PURE__ */ new Set();
  for (const a of list) {
    if (typeof a !== "number" || !Number.isInteger(a) || a < -rank || a >= rank) {
      throw new Error(`layerNorm: axis must be ${expected} for an input of rank ${rank}; got ${JSON.stringify(axis)}`);
    }
    const resolved = a < 0 ? a + rank : a;
    if (seen.has(resolved)) {
      throw new Error(`layerNorm: axis must hold distinct axes; ${JSON.stringify(axis)} names axis ${resolved} twice`);
    }
    seen.add(resolved);
  }
  return [...seen].sort((a, b) => a - b);
}
function paramShape(xShape, axes) {
  return axes.map((a) => xShape[a]);
}
function statsShape(xShape, axes) {
  return xShape.map((d, i) => axes.includes(i) ? 1 : d);
}
function layerNormGeometry(xShape, axes) {
  const dims = [];
  let stride = 1;
  for (let i = xShape.length - 1; i >= 0; i--) {
    const normalized = axes.includes(i);
    const size = xShape[i];
    if (size === 1 && dims.length > 0) {
      continue;
    }
    const last = dims[0];
    if (last != null && last.normalized === normalized) {
      last.size *= size;
    } else {
      dims.unshift({ size, stride, normalized });
    }
    stride *= size;
  }
  let outerSize = 1, innerSize = 1;
  for (const d of dims) {
    if (d.normalized) {
      innerSize *= d.size;
    } else {
      outerSize *= d.size;
    }
  }
  const isTrailing = dims.every(
    (d, i) => !d.normalized || dims.slice(i).every((e) => e.normalized)
  );
  return { outerSize, innerSize, isTrailing, dims };
}
var init_layer_norm_util = __esm({
  "src/layer_norm_util.ts"() {
    "use strict";
  }
});

// src/ops/layer_norm_composite.ts
function layerNormComposite(x, gamma, beta, attrs) {
  const { axis, epsilon } = attrs;
  const groupSize = groupSizeOf(x.shape, axis);
  return tf.tidy(() => {
    const kept = {};
    const normalize = tf.customGrad((...args) => {
      const [xIn, gammaIn, betaIn] = args;
      const save = args[3];
      const { y, mean: mean2, invStd, xhat } = forwardParts(xIn, gammaIn, betaIn, axis, epsilon);
      kept.mean = tf.keep(mean2);
      kept.invStd = tf.keep(invStd);
      kept.xhat = tf.keep(xhat);
      save([xhat, invStd, gammaIn]);
      return {
        value: y,
        gradFunc: (dy, saved) => {
          const [savedXhat, savedInvStd, savedGamma] = saved;
          return gradOfY(dy, savedXhat, savedInvStd, savedGamma, axis);
        }
      };
    });
    try {
      const y = normalize(x, gamma, beta);
      const { mean: mean2, invStd, xhat } = kept;
      const meanOf = tf.customGrad((..._args) => ({
        value: tf.clone(mean2),
        gradFunc: (dMean) => tf.tidy(() => tf.broadcastTo(tf.div(dMean, groupSize), x.shape))
      }));
      const invStdOf = tf.customGrad((...args) => {
        const save = args[1];
        save([xhat, invStd]);
        return {
          value: tf.clone(invStd),
          gradFunc: (dInvStd, saved) => tf.tidy(() => dxFromInvStd(dInvStd, saved[0], saved[1], groupSize))
        };
      });
      return [y, meanOf(x), invStdOf(x)];
    } finally {
      tf.dispose([kept.mean, kept.invStd, kept.xhat].filter(
        (t) => t != null
      ));
    }
  });
}
function forwardParts(x, gamma, beta, axis, epsilon) {
  const { shift, shiftedMean, centered } = shiftAndCenter(x, axis);
  const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), axis, true), epsilon));
  const xhat = tf.mul(centered, invStd);
  const paramShape2 = broadcastParamShape(x.shape, axis);
  const y = tf.add(
    tf.mul(xhat, tf.reshape(gamma, paramShape2)),
    tf.reshape(beta, paramShape2)
  );
  return { y, mean: tf.add(shift, shiftedMean), invStd, xhat };
}
function shiftAndCenter(x, axis) {
  const statShape = x.shape.map((d, i) => axis.includes(i) ? 1 : d);
  const first = x.size === 0 ? tf.zeros(statShape) : tf.slice(x, x.shape.map(() => 0), statShape);
  const shift = tf.where(tf.isFinite(first), first, tf.zerosLike(first));
  const shifted = tf.sub(x, shift);
  const shiftedMean = tf.mean(shifted, axis, true);
  return { shift, shiftedMean, centered: tf.sub(shifted, shiftedMean) };
}
function gradOfY(dy, xhat, invStd, gamma, axis) {
  return tf.tidy(() => {
    const outerAxes = dy.shape.map((_, i) => i).filter((i) => !axis.includes(i));
    const g = tf.mul(dy, tf.reshape(gamma, broadcastParamShape(dy.shape, axis)));
    const meanG = tf.mean(g, axis, true);
    const meanGXhat = tf.mean(tf.mul(g, xhat), axis, true);
    const dx = tf.mul(invStd, tf.sub(tf.sub(g, meanG), tf.mul(xhat, meanGXhat)));
    const dGamma = tf.reshape(tf.sum(tf.mul(dy, xhat), outerAxes), gamma.shape);
    const dBeta = tf.reshape(tf.sum(dy, outerAxes), gamma.shape);
    return [dx, dGamma, dBeta];
  });
}
function dxFromInvStd(dInvStd, xhat, invStd, groupSize) {
  return tf.mul(xhat, tf.mul(dInvStd, tf.div(tf.square(invStd), -groupSize)));
}
function layerNormGradComposite(dy, x, invStd, gamma, dMean, dInvStd, axis) {
  return tf.tidy(() => {
    const groupSize = groupSizeOf(x.shape, axis);
    const xhat = tf.mul(shiftAndCenter(x, axis).centered, invStd);
    const [dxOfY, dGamma, dBeta] = gradOfY(dy, xhat, invStd, gamma, axis);
    const dx = tf.add(
      tf.add(dxOfY, tf.div(dMean, groupSize)),
      dxFromInvStd(dInvStd, xhat, invStd, groupSize)
    );
    return [dx, dGamma, dBeta];
  });
}
function broadcastParamShape(xShape, axis) {
  return xShape.map((d, i) => axis.includes(i) ? d : 1);
}
function groupSizeOf(xShape, axis) {
  return axis.reduce((n, a) => n * xShape[a], 1);
}
var tf, FORCE_COMPOSITE_FLAG;
var init_layer_norm_composite = __esm({
  "src/ops/layer_norm_composite.ts"() {
    "use strict";
    tf = __toESM(require("@tensorflow/tfjs"));
    FORCE_COMPOSITE_FLAG = "LAYERNORM_FORCE_COMPOSITE";
    tf.env().registerFlag(FORCE_COMPOSITE_FLAG, () => false);
  }
});

// src/ops/layer_norm.ts
var layer_norm_exports = {};
__export(layer_norm_exports, {
  DEFAULT_EPSILON: () => DEFAULT_EPSILON,
  layerNorm: () => layerNorm,
  layerNormWithStats: () => layerNormWithStats
});
function layerNorm(x, gamma, beta, options = {}) {
  return run(x, gamma, beta, options, false);
}
function layerNormWithStats(x, gamma, beta, options = {}) {
  return run(x, gamma, beta, options, true);
}
function run(xArg, gammaArg, betaArg, options, withStats) {
  if (options == null || typeof options !== "object") {
    throw new Error(
      `layerNorm: options must be an object {axis?, epsilon?}; got ${String(options)}`
    );
  }
  const { axis = -1, epsilon = DEFAULT_EPSILON } = options;
  checkEpsilon(epsilon);
  const xShape = shapeAndDtypeOf(xArg, "x");
  if (xShape.shape.length === 0) {
    throw new Error(
      "layerNorm: x must have rank >= 1; got a scalar (shape [])"
    );
  }
  const axes = normalizeAxes(axis, xShape.shape.length);
  const expected = paramShape(xShape.shape, axes);
  for (const [name, arg] of [["gamma", gammaArg], ["beta", betaArg]]) {
    if (arg == null) {
      continue;
    }
    const { shape } = shapeAndDtypeOf(arg, name);
    if (!tf2.util.arraysEqual(shape, expected)) {
      throw new Error(`layerNorm: ${name} must have shape [${expected}] (the sizes of x [${xShape.shape}] at axis [${axes}]); got [${shape}]`);
    }
  }
  return tf2.tidy(() => {
    const x = asFloat(xArg);
    const gamma = gammaArg == null ? tf2.ones(expected) : asFloat(gammaArg);
    const beta = betaArg == null ? tf2.zeros(expected) : asFloat(betaArg);
    const attrs = { axis: axes, epsilon };
    let outputs;
    if (tf2.getKernel(LayerNormKernel, tf2.getBackend()) != null && !tf2.env().getBool(FORCE_COMPOSITE_FLAG)) {
      const inputs = { x, gamma, beta };
      outputs = tf2.engine().runKernel(
        LayerNormKernel,
        inputs,
        attrs
      );
    } else {
      outputs = layerNormComposite(x, gamma, beta, attrs);
    }
    const [y, mean2, invStd] = outputs;
    return withStats ? { y, mean: mean2, invStd } : y;
  });
}
function checkEpsilon(epsilon) {
  if (typeof epsilon !== "number" || !Number.isFinite(epsilon) || epsilon <= 0) {
    throw new Error(`layerNorm: epsilon must be a finite number > 0; got ${String(epsilon)}`);
  }
}
function shapeAndDtypeOf(arg, name) {
  let shape;
  let dtype;
  if (arg instanceof tf2.Tensor) {
    if (arg.isDisposed) {
      throw new Error(`layerNorm: ${name} is a disposed tensor`);
    }
    shape = arg.shape;
    dtype = arg.dtype;
  } else if (Array.isArray(arg) || ArrayBuffer.isView(arg) || typeof arg === "number") {
    shape = nestedShape(arg);
    dtype = arg instanceof Int32Array ? "int32" : "float32";
    if (!isNumeric(arg)) {
      throw new Error(
        `layerNorm: ${name} must be a tensor or nested array of numbers`
      );
    }
  } else {
    throw new Error(`layerNorm: ${name} must be a tf.Tensor or a nested array of numbers; got ${typeof arg}`);
  }
  if (!ACCEPTED_DTYPES.includes(dtype)) {
    throw new Error(`layerNorm: ${name} must have dtype float32 (int32 is computed as float32); got ${dtype}`);
  }
  return { shape, dtype };
}
function nestedShape(arg) {
  const shape = [];
  let level = arg;
  while (Array.isArray(level) || ArrayBuffer.isView(level)) {
    const items = level;
    shape.push(items.length);
    level = items[0];
  }
  return shape;
}
function isNumeric(arg) {
  if (typeof arg === "number") {
    return true;
  }
  if (ArrayBuffer.isView(arg)) {
    return true;
  }
  return Array.isArray(arg) && arg.every(isNumeric);
}
function asFloat(arg) {
  const t = arg instanceof tf2.Tensor ? arg : tf2.tensor(arg);
  return t.dtype === "float32" ? t : tf2.cast(t, "float32");
}
var tf2, DEFAULT_EPSILON, ACCEPTED_DTYPES;
var init_layer_norm = __esm({
  "src/ops/layer_norm.ts"() {
    "use strict";
    tf2 = __toESM(require("@tensorflow/tfjs"));
    init_kernel_names();
    init_layer_norm_util();
    init_layer_norm_composite();
    DEFAULT_EPSILON = 1e-5;
    ACCEPTED_DTYPES = ["float32", "int32"];
  }
});

// src/gradients/layer_norm_grad.ts
var tf3, layerNormGradConfig;
var init_layer_norm_grad = __esm({
  "src/gradients/layer_norm_grad.ts"() {
    "use strict";
    tf3 = __toESM(require("@tensorflow/tfjs"));
    init_layer_norm_composite();
    init_kernel_names();
    layerNormGradConfig = {
      kernelName: LayerNormKernel,
      inputsToSave: ["x", "gamma"],
      outputsToSave: [false, true, true],
      gradFunc: (dys, saved, attrs) => {
        const [dy, dMean, dInvStd] = dys;
        const [x, gamma, mean2, invStd] = saved;
        const { axis } = attrs;
        const inputs = { dy, x, mean: mean2, invStd, gamma, dMean, dInvStd };
        const gradAttrs = { axis };
        const [dx, dGamma, dBeta] = tf3.getKernel(LayerNormGradKernel, tf3.getBackend()) != null ? tf3.engine().runKernel(
          LayerNormGradKernel,
          inputs,
          gradAttrs
        ) : layerNormGradComposite(dy, x, invStd, gamma, dMean, dInvStd, axis);
        return { x: () => dx, gamma: () => dGamma, beta: () => dBeta };
      }
    };
  }
});

// src/register.ts
function registerKernelsOnce(configs) {
  for (const config of configs) {
    if (tf4.getKernel(config.kernelName, config.backendName) == null) {
      tf4.registerKernel(config);
    }
  }
}
function registerGradientOnce() {
  if (tf4.getGradient(layerNormGradConfig.kernelName) == null) {
    tf4.registerGradient(layerNormGradConfig);
  }
}
var tf4;
var init_register = __esm({
  "src/register.ts"() {
    "use strict";
    tf4 = __toESM(require("@tensorflow/tfjs"));
    init_layer_norm_grad();
  }
});

// src/backends/webgpu/row_layout.ts
function workgroupSumSnippet(name, type, workgroupSize) {
  const shared = `${name}Partials`;
  return `
    var<workgroup> ${shared} : array<${type}, ${workgroupSize}>;

    fn ${name}(value : ${type}) -> ${type} {
      ${shared}[localIndex] = value;
      workgroupBarrier();
      for (var half = ${Math.floor(workgroupSize / 2)}u; half > 0u; half = half / 2u) {
        if (localIndex < half) {
          ${shared}[localIndex] = ${shared}[localIndex] + ${shared}[localIndex + half];
        }
        workgroupBarrier();
      }
      let total = ${shared}[0];
      // Every invocation reads the total before anyone reuses the array.
      workgroupBarrier();
      return total;
    }
  `;
}
function lane(i) {
  return "xyzw"[i];
}
function elementwiseDispatch(count) {
  return [Math.ceil(count / ELEMENTWISE_WORKGROUP_SIZE), 1, 1];
}
var VEC4_WIDTH, RowLayout, ELEMENTWISE_WORKGROUP_SIZE;
var init_row_layout = __esm({
  "src/backends/webgpu/row_layout.ts"() {
    "use strict";
    VEC4_WIDTH = 4;
    RowLayout = class {
      constructor(geometry) {
        this.geometry = geometry;
        this.outerSize = geometry.outerSize;
        this.rowLength = geometry.innerSize;
        this.components = geometry.isTrailing && geometry.innerSize % VEC4_WIDTH === 0 ? 4 : 1;
        this.rowUnits = this.rowLength / this.components;
        this.unitType = this.components === 4 ? "vec4<f32>" : "f32";
        const fields = [
          ["outerSize", this.outerSize],
          ["rowLength", this.rowLength],
          ["rowUnits", this.rowUnits]
        ];
        if (geometry.isTrailing) {
          this.shaderKey = `rows_vec${this.components}`;
        } else {
          const pattern = geometry.dims.map((d) => d.normalized ? "N" : "K").join("");
          this.shaderKey = `strided_${pattern}`;
          geometry.dims.forEach((d, k) => {
            fields.push([`dim${k}Size`, d.size], [`dim${k}Stride`, d.stride]);
          });
        }
        this.uniformDeclaration = fields.map(([name]) => `${name} : i32,`).join(" ");
        this.uniformData = fields.map(([, value]) => ({ type: "int32", data: [value] }));
      }
      /** True when every row-shaped tensor is addressed as vec4<f32>. */
      get isVec4() {
        return this.components === 4;
      }
      /** WGSL expression converting one stored unit of a row-shaped input to f32s. */
      load(buffer, offset) {
        return `${this.unitType}(${buffer}[${offset}])`;
      }
      /** Sum of the lanes of a unit (identity for scalars). */
      horizontalSum(value) {
        return this.isVec4 ? `dot(${value}, vec4<f32>(1.0))` : value;
      }
      /**
       * WGSL of `fn rowShift(row : i32) -> f32`: what the row programs subtract
       * from every element of a row of x before summing. The row's first element:
       * the difference is exact for the row's nearby values, so a large mean costs
       * no precision and a constant row gives exactly zero. A non-finite first
       * element would make every difference NaN (Infinity - Infinity), where the
       * unshifted sums give the right Infinity mean, so it is replaced by 0.
       */
      rowShiftSnippet() {
        return `
      fn isFiniteF32(value : f32) -> bool {
        let exponentBits = 0x7f800000u;
        return (bitcast<u32>(value) & exponentBits) != exponentBits;
      }
      fn rowShift(row : i32) -> f32 {
        let first = f32(x[rowStart(row)]${this.isVec4 ? ".x" : ""});
        return select(0.0, first, isFiniteF32(first));
      }
    `;
      }
      /** WGSL of rowStart, columnOffset and rowAndColumn (in units). */
      helpers() {
        return this.geometry.isTrailing ? this.contiguousHelpers() : this.stridedHelpers();
      }
      contiguousHelpers() {
        return `
      // Rows are contiguous: row r is the slice [r * rowUnits, (r + 1) * rowUnits).
      fn rowStart(row : i32) -> i32 {
        return row * uniforms.rowUnits;
      }
      fn columnOffset(column : i32) -> i32 {
        return column;
      }
      fn rowAndColumn(index : i32) -> vec2<i32> {
        let row = index / uniforms.rowUnits;
        return vec2<i32>(row, index - row * uniforms.rowUnits);
      }
    `;
      }
      /**
       * Decodes a row number over the kept runs and a column number over the
       * normalized runs (row-major, innermost run fastest), each run adding
       * coordinate * stride to the offset. The outermost run of each kind takes
       * what is left, so it needs no modulo.
       */
      stridedHelpers() {
        const dims = this.geometry.dims.map((d, k) => ({ ...d, k }));
        const decode = (normalized, value) => {
          const runs = dims.filter((d) => d.normalized === normalized);
          const lines = [`var rest = ${value};`, "var offset = 0;"];
          for (let i = runs.length - 1; i > 0; i--) {
            const { k } = runs[i];
            lines.push(
              `offset = offset + (rest % uniforms.dim${k}Size) * uniforms.dim${k}Stride;`,
              `rest = rest / uniforms.dim${k}Size;`
            );
          }
          lines.push(`offset = offset + rest * uniforms.dim${runs[0].k}Stride;`);
          lines.push("return offset;");
          return lines.join("\n        ");
        };
        const splitLines = ["var rest = index;", "var row = 0;", "var column = 0;"];
        let rowScale = "1", columnScale = "1";
        for (let i = dims.length - 1; i >= 0; i--) {
          const { k, normalized } = dims[i];
          const coordinate = i > 0 ? `(rest % uniforms.dim${k}Size)` : "rest";
          if (normalized) {
            splitLines.push(`column = column + ${coordinate} * ${columnScale};`);
            columnScale = `${columnScale} * uniforms.dim${k}Size`;
          } else {
            splitLines.push(`row = row + ${coordinate} * ${rowScale};`);
            rowScale = `${rowScale} * uniforms.dim${k}Size`;
          }
          if (i > 0) {
            splitLines.push(`rest = rest / uniforms.dim${k}Size;`);
          }
        }
        splitLines.push("return vec2<i32>(row, column);");
        return `
      // Rows are strided: offsets come from the merged runs' sizes and strides.
      fn rowStart(row : i32) -> i32 {
        ${decode(false, "row")}
      }
      fn columnOffset(column : i32) -> i32 {
        ${decode(true, "column")}
      }
      fn rowAndColumn(index : i32) -> vec2<i32> {
        ${splitLines.join("\n        ")}
      }
    `;
      }
    };
    ELEMENTWISE_WORKGROUP_SIZE = 64;
  }
});

// src/backends/webgpu/layer_norm_stats_webgpu.ts
var RowStat, LayerNormStatsProgram;
var init_layer_norm_stats_webgpu = __esm({
  "src/backends/webgpu/layer_norm_stats_webgpu.ts"() {
    "use strict";
    init_row_layout();
    RowStat = {
      SHIFT: 0,
      SHIFTED_MEAN: 1,
      INV_STD: 2,
      MEAN: 3
    };
    LayerNormStatsProgram = class {
      /** `workgroupSize`: invocations per row, a power of two (row_workgroup.ts). */
      constructor(layout, workgroupSize) {
        this.variableNames = ["x"];
        this.outputComponent = 4;
        this.dispatchLayout = { x: [0] };
        this.layout = layout;
        this.variableComponents = [layout.components];
        this.outputShape = [layout.outerSize * 4];
        this.workgroupSize = [workgroupSize, 1, 1];
        this.dispatch = [layout.outerSize, 1, 1];
        this.uniforms = `${layout.uniformDeclaration} epsilon : f32,`;
        this.shaderKey = `layerNormStats_${layout.shaderKey}`;
      }
      getUserCode() {
        const { layout } = this;
        const unit = layout.unitType;
        const workgroupSize = this.workgroupSize[0];
        return `
      ${layout.helpers()}
      ${layout.rowShiftSnippet()}
      ${workgroupSumSnippet("workgroupSum", "f32", workgroupSize)}

      fn shiftedX(row : i32, column : i32, shift : f32) -> ${unit} {
        return ${layout.load("x", "rowStart(row) + columnOffset(column)")} - shift;
      }

      fn main(index : i32) {
        let row = index / ${workgroupSize};
        // Extra workgroups of a folded dispatch still reach every barrier.
        let isRow = row < uniforms.outerSize;
        var shift = 0.0;
        if (isRow) {
          shift = rowShift(row);
        }
        let rowLength = f32(uniforms.rowLength);

        var sum = ${unit}(0.0);
        for (var column = i32(localIndex); isRow && column < uniforms.rowUnits;
             column = column + ${workgroupSize}) {
          sum = sum + shiftedX(row, column, shift);
        }
        let shiftedMean = workgroupSum(${layout.horizontalSum("sum")}) / rowLength;

        var squares = ${unit}(0.0);
        for (var column = i32(localIndex); isRow && column < uniforms.rowUnits;
             column = column + ${workgroupSize}) {
          let deviation = shiftedX(row, column, shift) - shiftedMean;
          squares = squares + deviation * deviation;
        }
        let variance = workgroupSum(${layout.horizontalSum("squares")}) / rowLength;

        if (isRow && localIndex == 0u) {
          let invStd = 1.0 / sqrt(variance + uniforms.epsilon);
          // Lanes in RowStat order.
          result[row] = vec4<f32>(shift, shiftedMean, invStd, shift + shiftedMean);
        }
      }
    `;
      }
    };
  }
});

// src/backends/webgpu/layer_norm_normalize_webgpu.ts
var LayerNormNormalizeProgram;
var init_layer_norm_normalize_webgpu = __esm({
  "src/backends/webgpu/layer_norm_normalize_webgpu.ts"() {
    "use strict";
    init_layer_norm_stats_webgpu();
    init_row_layout();
    LayerNormNormalizeProgram = class {
      constructor(layout) {
        this.variableNames = ["x", "gamma", "beta", "rowStats"];
        this.dispatchLayout = { x: [0] };
        this.workgroupSize = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
        this.size = true;
        this.layout = layout;
        const c = layout.components;
        this.variableComponents = [c, c, c, 4];
        this.outputComponent = c;
        this.outputShape = [layout.outerSize * layout.rowLength];
        this.dispatch = elementwiseDispatch(layout.outerSize * layout.rowUnits);
        this.uniforms = layout.uniformDeclaration;
        this.shaderKey = `layerNormNormalize_${layout.shaderKey}`;
      }
      getUserCode() {
        const { layout } = this;
        return `
      ${layout.helpers()}

      fn main(index : i32) {
        if (index < uniforms.size) {
          let position = rowAndColumn(index);
          let stats = rowStats[position.x];
          let xhat = (${layout.load("x", "index")} - stats.${lane(RowStat.SHIFT)}
                      - stats.${lane(RowStat.SHIFTED_MEAN)}) * stats.${lane(RowStat.INV_STD)};
          result[index] = xhat * ${layout.load("gamma", "position.y")}
                          + ${layout.load("beta", "position.y")};
        }
      }
    `;
      }
    };
  }
});

// src/backends/webgpu/program_util.ts
function flat(t) {
  return { dataId: t.dataId, shape: [sizeOf(t.shape)], dtype: t.dtype };
}
function withShape(t, shape) {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}
function sizeOf(shape) {
  return shape.reduce((a, b) => a * b, 1);
}
function filled(backend2, shape, value) {
  return backend2.makeTensorInfo(
    shape,
    "float32",
    new Float32Array(sizeOf(shape)).fill(value)
  );
}
var init_program_util = __esm({
  "src/backends/webgpu/program_util.ts"() {
    "use strict";
  }
});

// src/backends/webgpu/row_workgroup.ts
function rowWorkgroupSize(backend2, rowUnits) {
  const { limits } = backend2.device;
  const deviceMax = Math.min(
    limits.maxComputeWorkgroupSizeX,
    limits.maxComputeInvocationsPerWorkgroup
  );
  const forced = tf5.env().getNumber(ROW_WORKGROUP_SIZE_FLAG);
  if (forced !== 0) {
    if (!isPowerOfTwo(forced) || forced > deviceMax) {
      throw new Error(`${ROW_WORKGROUP_SIZE_FLAG} must be 0 or a power of two <= ${deviceMax}; got ${forced}`);
    }
    return forced;
  }
  const max = isCpuEmulated(backend2) ? CPU_EMULATED_SIMD_WIDTH : deviceMax;
  const wanted = Math.ceil(rowUnits / MIN_UNITS_PER_INVOCATION);
  return Math.min(floorPowerOfTwo(max), ceilPowerOfTwo(wanted));
}
function isCpuEmulated(backend2) {
  const info = backend2.adapterInfo;
  return CPU_EMULATED_ARCHITECTURES.includes(info?.architecture ?? "");
}
function isPowerOfTwo(n) {
  return Number.isInteger(n) && n >= 1 && (n & n - 1) === 0;
}
function floorPowerOfTwo(n) {
  return 2 ** Math.floor(Math.log2(n));
}
function ceilPowerOfTwo(n) {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}
var tf5, ROW_WORKGROUP_SIZE_FLAG, MIN_UNITS_PER_INVOCATION, CPU_EMULATED_ARCHITECTURES, CPU_EMULATED_SIMD_WIDTH;
var init_row_workgroup = __esm({
  "src/backends/webgpu/row_workgroup.ts"() {
    "use strict";
    tf5 = __toESM(require("@tensorflow/tfjs"));
    ROW_WORKGROUP_SIZE_FLAG = "LAYERNORM_WEBGPU_ROW_WORKGROUP_SIZE";
    tf5.env().registerFlag(ROW_WORKGROUP_SIZE_FLAG, () => 0);
    MIN_UNITS_PER_INVOCATION = 4;
    CPU_EMULATED_ARCHITECTURES = ["swiftshader"];
    CPU_EMULATED_SIMD_WIDTH = 4;
  }
});

// src/backends/webgpu/row_stat_webgpu.ts
var RowStatProgram;
var init_row_stat_webgpu = __esm({
  "src/backends/webgpu/row_stat_webgpu.ts"() {
    "use strict";
    init_row_layout();
    RowStatProgram = class {
      constructor(rows, statLane) {
        this.variableNames = ["rowStats"];
        this.variableComponents = [4];
        this.dispatchLayout = { x: [0] };
        this.workgroupSize = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
        this.size = true;
        this.lane = statLane;
        this.outputShape = [rows];
        this.dispatch = elementwiseDispatch(rows);
        this.shaderKey = `layerNormRowStat_${lane(statLane)}`;
      }
      getUserCode() {
        return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          result[index] = rowStats[index].${lane(this.lane)};
        }
      }
    `;
      }
    };
  }
});

// src/backends/webgpu/layer_norm.ts
function layerNorm2(args) {
  const { inputs: { x, gamma, beta }, backend: backend2, attrs: { axis, epsilon } } = args;
  const statShape = statsShape(x.shape, axis);
  if (sizeOf(x.shape) === 0) {
    return [
      backend2.makeTensorInfo(x.shape, "float32", new Float32Array(0)),
      filled(backend2, statShape, NaN),
      filled(backend2, statShape, NaN)
    ];
  }
  const layout = new RowLayout(layerNormGeometry(x.shape, axis));
  const statsProgram = new LayerNormStatsProgram(layout, rowWorkgroupSize(backend2, layout.rowUnits));
  const rowStats = backend2.runWebGPUProgram(
    statsProgram,
    [flat(x)],
    "float32",
    [...layout.uniformData, { type: "float32", data: [epsilon] }]
  );
  const y = backend2.runWebGPUProgram(
    new LayerNormNormalizeProgram(layout),
    [flat(x), flat(gamma), flat(beta), rowStats],
    "float32",
    layout.uniformData
  );
  const [mean2, invStd] = [RowStat.MEAN, RowStat.INV_STD].map(
    (statLane) => backend2.runWebGPUProgram(
      new RowStatProgram(layout.outerSize, statLane),
      [rowStats],
      "float32"
    )
  );
  backend2.disposeData(rowStats.dataId);
  return [
    withShape(y, x.shape),
    withShape(mean2, statShape),
    withShape(invStd, statShape)
  ];
}
var layerNormConfig;
var init_layer_norm2 = __esm({
  "src/backends/webgpu/layer_norm.ts"() {
    "use strict";
    init_kernel_names();
    init_layer_norm_util();
    init_layer_norm_normalize_webgpu();
    init_layer_norm_stats_webgpu();
    init_program_util();
    init_row_layout();
    init_row_workgroup();
    init_row_stat_webgpu();
    layerNormConfig = {
      kernelName: LayerNormKernel,
      backendName: "webgpu",
      kernelFunc: layerNorm2
    };
  }
});

// src/backends/webgpu/layer_norm_grad_row_webgpu.ts
var GradRowCoefficient, LayerNormGradRowProgram;
var init_layer_norm_grad_row_webgpu = __esm({
  "src/backends/webgpu/layer_norm_grad_row_webgpu.ts"() {
    "use strict";
    init_row_layout();
    GradRowCoefficient = {
      SHIFT: 0,
      SHIFTED_MEAN: 1,
      XHAT_COEF: 2,
      OFFSET: 3
    };
    LayerNormGradRowProgram = class {
      /** `workgroupSize`: invocations per row, a power of two (row_workgroup.ts). */
      constructor(layout, workgroupSize) {
        this.variableNames = ["x", "dy", "gamma", "invStd", "dMean", "dInvStd"];
        this.outputComponent = 4;
        this.dispatchLayout = { x: [0] };
        this.layout = layout;
        const c = layout.components;
        this.variableComponents = [c, c, c, 1, 1, 1];
        this.outputShape = [layout.outerSize * 4];
        this.workgroupSize = [workgroupSize, 1, 1];
        this.dispatch = [layout.outerSize, 1, 1];
        this.uniforms = layout.uniformDeclaration;
        this.shaderKey = `layerNormGradRow_${layout.shaderKey}`;
      }
      getUserCode() {
        const { layout } = this;
        const unit = layout.unitType;
        const workgroupSize = this.workgroupSize[0];
        const loadAt = (buffer) => layout.load(buffer, "rowStart(row) + columnOffset(column)");
        return `
      ${layout.helpers()}
      ${layout.rowShiftSnippet()}
      ${workgroupSumSnippet("workgroupSum", "f32", workgroupSize)}
      ${workgroupSumSnippet("workgroupSum2", "vec2<f32>", workgroupSize)}

      fn main(index : i32) {
        let row = index / ${workgroupSize};
        // Extra workgroups of a folded dispatch still reach every barrier.
        let isRow = row < uniforms.outerSize;
        var shift = 0.0;
        var invStdOfRow = 0.0;
        if (isRow) {
          shift = rowShift(row);
          invStdOfRow = invStd[row];
        }
        let rowLength = f32(uniforms.rowLength);

        var sum = ${unit}(0.0);
        for (var column = i32(localIndex); isRow && column < uniforms.rowUnits;
             column = column + ${workgroupSize}) {
          sum = sum + (${loadAt("x")} - shift);
        }
        let shiftedMean = workgroupSum(${layout.horizontalSum("sum")}) / rowLength;

        var sumG = ${unit}(0.0);
        var sumGXhat = ${unit}(0.0);
        for (var column = i32(localIndex); isRow && column < uniforms.rowUnits;
             column = column + ${workgroupSize}) {
          let xhat = ((${loadAt("x")} - shift) - shiftedMean) * invStdOfRow;
          let g = ${loadAt("dy")} * ${layout.load("gamma", "column")};
          sumG = sumG + g;
          sumGXhat = sumGXhat + g * xhat;
        }
        let sums = workgroupSum2(vec2<f32>(${layout.horizontalSum("sumG")},
                                           ${layout.horizontalSum("sumGXhat")}));

        if (isRow && localIndex == 0u) {
          let xhatCoef = (invStdOfRow * sums.y
                          + dInvStd[row] * invStdOfRow * invStdOfRow) / rowLength;
          let offset = (dMean[row] - invStdOfRow * sums.x) / rowLength;
          // Lanes in GradRowCoefficient order.
          result[row] = vec4<f32>(shift, shiftedMean, xhatCoef, offset);
        }
      }
    `;
      }
    };
  }
});

// src/backends/webgpu/layer_norm_grad_input_webgpu.ts
var LayerNormGradInputProgram;
var init_layer_norm_grad_input_webgpu = __esm({
  "src/backends/webgpu/layer_norm_grad_input_webgpu.ts"() {
    "use strict";
    init_layer_norm_grad_row_webgpu();
    init_row_layout();
    LayerNormGradInputProgram = class {
      constructor(layout) {
        this.variableNames = ["x", "dy", "gamma", "invStd", "rowCoefficients"];
        this.dispatchLayout = { x: [0] };
        this.workgroupSize = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
        this.size = true;
        this.layout = layout;
        const c = layout.components;
        this.variableComponents = [c, c, c, 1, 4];
        this.outputComponent = c;
        this.outputShape = [layout.outerSize * layout.rowLength];
        this.dispatch = elementwiseDispatch(layout.outerSize * layout.rowUnits);
        this.uniforms = layout.uniformDeclaration;
        this.shaderKey = `layerNormGradInput_${layout.shaderKey}`;
      }
      getUserCode() {
        const { layout } = this;
        const coef = (name) => `coefficients.${lane(GradRowCoefficient[name])}`;
        return `
      ${layout.helpers()}

      fn main(index : i32) {
        if (index < uniforms.size) {
          let position = rowAndColumn(index);
          let coefficients = rowCoefficients[position.x];
          let invStdOfRow = invStd[position.x];
          let xhat = ((${layout.load("x", "index")} - ${coef("SHIFT")})
                      - ${coef("SHIFTED_MEAN")}) * invStdOfRow;
          let g = ${layout.load("dy", "index")} * ${layout.load("gamma", "position.y")};
          result[index] = invStdOfRow * g - xhat * ${coef("XHAT_COEF")} + ${coef("OFFSET")};
        }
      }
    `;
      }
    };
  }
});

// src/backends/webgpu/layer_norm_param_grad_webgpu.ts
function rowsPerBlock(rows) {
  return Math.max(1, Math.ceil(Math.sqrt(rows)));
}
var ParamGrad, PARAM_GRAD_COUNT, LayerNormParamGradPartialProgram, ParamGradSumProgram;
var init_layer_norm_param_grad_webgpu = __esm({
  "src/backends/webgpu/layer_norm_param_grad_webgpu.ts"() {
    "use strict";
    init_layer_norm_grad_row_webgpu();
    init_row_layout();
    ParamGrad = {
      GAMMA: 0,
      BETA: 1
    };
    PARAM_GRAD_COUNT = 2;
    LayerNormParamGradPartialProgram = class {
      constructor(layout, blockCount) {
        this.variableNames = ["x", "dy", "invStd", "rowCoefficients"];
        this.dispatchLayout = { x: [0] };
        this.workgroupSize = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
        this.layout = layout;
        const c = layout.components;
        this.variableComponents = [c, c, 1, 4];
        this.outputComponent = c;
        this.outputShape = [blockCount * PARAM_GRAD_COUNT * layout.rowLength];
        this.dispatch = elementwiseDispatch(blockCount * layout.rowUnits);
        this.uniforms = `${layout.uniformDeclaration} rowsPerBlock : i32, blockCount : i32,`;
        this.shaderKey = `layerNormParamGradPartial_${layout.shaderKey}`;
      }
      getUserCode() {
        const { layout } = this;
        const unit = layout.unitType;
        const coef = (name) => `coefficients.${lane(GradRowCoefficient[name])}`;
        const partialIndex = (param) => `(block * ${PARAM_GRAD_COUNT} + ${param}) * uniforms.rowUnits + column`;
        return `
      ${layout.helpers()}

      fn main(index : i32) {
        let block = index / uniforms.rowUnits;
        let column = index - block * uniforms.rowUnits;
        if (block < uniforms.blockCount) {
          let offsetInRow = columnOffset(column);
          let firstRow = block * uniforms.rowsPerBlock;
          let endRow = min(firstRow + uniforms.rowsPerBlock, uniforms.outerSize);
          var dGamma = ${unit}(0.0);
          var dBeta = ${unit}(0.0);
          for (var row = firstRow; row < endRow; row = row + 1) {
            let coefficients = rowCoefficients[row];
            let offset = rowStart(row) + offsetInRow;
            let dyValue = ${layout.load("dy", "offset")};
            let xhat = ((${layout.load("x", "offset")} - ${coef("SHIFT")})
                        - ${coef("SHIFTED_MEAN")}) * invStd[row];
            dGamma = dGamma + dyValue * xhat;
            dBeta = dBeta + dyValue;
          }
          result[${partialIndex(ParamGrad.GAMMA)}] = dGamma;
          result[${partialIndex(ParamGrad.BETA)}] = dBeta;
        }
      }
    `;
      }
    };
    ParamGradSumProgram = class {
      /** `components`: 4 when the partial sums were written as vec4. */
      constructor(rowLength, components, param) {
        this.variableNames = ["partialSums"];
        this.dispatchLayout = { x: [0] };
        this.workgroupSize = [ELEMENTWISE_WORKGROUP_SIZE, 1, 1];
        this.size = true;
        this.uniforms = "blockCount : i32,";
        this.param = param;
        this.variableComponents = [components];
        this.outputComponent = components;
        this.outputShape = [rowLength];
        this.dispatch = elementwiseDispatch(rowLength / components);
        this.shaderKey = `layerNormParamGradSum_${param}_vec${components}`;
      }
      getUserCode() {
        const unit = this.outputComponent === 4 ? "vec4<f32>" : "f32";
        return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var total = ${unit}(0.0);
          for (var block = 0; block < uniforms.blockCount; block = block + 1) {
            total = total + partialSums[
                (block * ${PARAM_GRAD_COUNT} + ${this.param}) * uniforms.size + index];
          }
          result[index] = total;
        }
      }
    `;
      }
    };
  }
});

// src/backends/webgpu/layer_norm_grad.ts
function layerNormGrad(args) {
  const { inputs, backend: backend2, attrs: { axis } } = args;
  const { x, dy, gamma, invStd, dMean, dInvStd } = inputs;
  const paramShape2 = gamma.shape;
  if (sizeOf(x.shape) === 0) {
    return [
      backend2.makeTensorInfo(x.shape, "float32", new Float32Array(0)),
      filled(backend2, paramShape2, 0),
      filled(backend2, paramShape2, 0)
    ];
  }
  const layout = new RowLayout(layerNormGeometry(x.shape, axis));
  const rowProgram = new LayerNormGradRowProgram(layout, rowWorkgroupSize(backend2, layout.rowUnits));
  const rowCoefficients = backend2.runWebGPUProgram(
    rowProgram,
    [x, dy, gamma, invStd, dMean, dInvStd].map(flat),
    "float32",
    layout.uniformData
  );
  const dx = backend2.runWebGPUProgram(
    new LayerNormGradInputProgram(layout),
    [flat(x), flat(dy), flat(gamma), flat(invStd), rowCoefficients],
    "float32",
    layout.uniformData
  );
  const blockRows = rowsPerBlock(layout.outerSize);
  const blockCount = Math.ceil(layout.outerSize / blockRows);
  const partialSums = backend2.runWebGPUProgram(
    new LayerNormParamGradPartialProgram(layout, blockCount),
    [flat(x), flat(dy), flat(invStd), rowCoefficients],
    "float32",
    [
      ...layout.uniformData,
      { type: "int32", data: [blockRows] },
      { type: "int32", data: [blockCount] }
    ]
  );
  const [dGamma, dBeta] = [ParamGrad.GAMMA, ParamGrad.BETA].map(
    (param) => backend2.runWebGPUProgram(
      new ParamGradSumProgram(layout.rowLength, layout.components, param),
      [partialSums],
      "float32",
      [{ type: "int32", data: [blockCount] }]
    )
  );
  backend2.disposeData(rowCoefficients.dataId);
  backend2.disposeData(partialSums.dataId);
  return [
    withShape(dx, x.shape),
    withShape(dGamma, paramShape2),
    withShape(dBeta, paramShape2)
  ];
}
var layerNormGradConfig2;
var init_layer_norm_grad2 = __esm({
  "src/backends/webgpu/layer_norm_grad.ts"() {
    "use strict";
    init_kernel_names();
    init_layer_norm_util();
    init_layer_norm_grad_input_webgpu();
    init_layer_norm_grad_row_webgpu();
    init_layer_norm_param_grad_webgpu();
    init_program_util();
    init_row_layout();
    init_row_workgroup();
    layerNormGradConfig2 = {
      kernelName: LayerNormGradKernel,
      backendName: "webgpu",
      kernelFunc: layerNormGrad
    };
  }
});

// src/backends/webgpu/register_all_kernels.ts
function registerWebGPUKernels() {
  registerKernelsOnce(webgpuKernelConfigs);
}
var webgpuKernelConfigs;
var init_register_all_kernels = __esm({
  "src/backends/webgpu/register_all_kernels.ts"() {
    "use strict";
    init_register();
    init_layer_norm2();
    init_layer_norm_grad2();
    webgpuKernelConfigs = [layerNormConfig, layerNormGradConfig2];
  }
});

// src/entries/webgpu.ts
var webgpu_exports = {};
__export(webgpu_exports, {
  registerWebGPUKernels: () => registerWebGPUKernels,
  webgpuKernelConfigs: () => webgpuKernelConfigs
});
var import_tfjs_backend_webgpu;
var init_webgpu = __esm({
  "src/entries/webgpu.ts"() {
    "use strict";
    import_tfjs_backend_webgpu = require("@tensorflow/tfjs-backend-webgpu");
    init_register_all_kernels();
    init_register();
    init_register_all_kernels();
    registerGradientOnce();
    registerWebGPUKernels();
  }
});

// ../../tmp/wgpu/prof2.ts
var tf6 = __toESM(require("@tensorflow/tfjs"));
var { create, globals } = require("webgpu");
Object.assign(globalThis, globals);
globalThis.navigator = { gpu: create([]) };
async function main() {
  require("@tensorflow/tfjs-backend-webgpu");
  const lib = (init_layer_norm(), __toCommonJS(layer_norm_exports));
  init_webgpu();
  await tf6.setBackend("webgpu");
  const backend2 = tf6.backend();
  const sync = async () => {
    backend2.ensureCommandEncoderReady();
    backend2.endComputePassEncoder();
    backend2.submitQueue();
    await backend2.device.queue.onSubmittedWorkDone();
  };
  const shape = (process.env.SHAPE || "8,128,768").split(",").map(Number);
  const x = tf6.randomNormal(shape);
  const g = tf6.ones([shape[shape.length - 1]]);
  const b = tf6.zeros(g.shape);
  const dy = tf6.randomNormal(shape);
  const time = async (name, f) => {
    const ts = [];
    for (let i = 0; i < 7; i++) {
      await sync();
      const t0 = performance.now();
      const o = f();
      await sync();
      ts.push(performance.now() - t0);
      tf6.dispose(o);
    }
    ts.sort((a, b2) => a - b2);
    console.log(name, ts.map((t) => t.toFixed(1)).join(" "));
  };
  await time("fwd", () => [lib.layerNorm(x, g, b)]);
  await time("fwd+bwd", () => {
    const { value, grads } = tf6.engine().gradients(() => lib.layerNorm(x, g, b), [x, g, b], dy);
    return [value, ...grads];
  });
  const saved = lib.layerNormWithStats(x, g, b);
  const z = tf6.zeros(saved.mean.shape);
  await time("bwd kernel", () => tf6.engine().runKernel("TfjsLayerNormGrad", { dy, x, mean: saved.mean, invStd: saved.invStd, gamma: g, dMean: z, dInvStd: z }, { axis: [shape.length - 1] }));
}
main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
