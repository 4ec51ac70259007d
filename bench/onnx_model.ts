/**
 * A one-node ONNX model, `Y = LayerNormalization(X, Scale, B)` (opset 17),
 * written as protobuf bytes (field numbers from onnx/onnx.proto), so the
 * bench can run ONNX Runtime without Python or model files.
 */

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_BYTES = 2;

/** A protobuf message under construction. */
class ProtoWriter {
  private readonly bytes: number[] = [];

  private varint(value: number|bigint) {
    // Negative int64 values take ten bytes of two's complement.
    let v = BigInt.asUintN(64, BigInt(value));
    const seven = BigInt(7), lowBits = BigInt(0x7f), zero = BigInt(0);
    do {
      const low = Number(v & lowBits);
      v >>= seven;
      this.bytes.push(v !== zero ? low | 0x80 : low);
    } while (v !== zero);
  }

  private tag(field: number, wire: number) {
    this.varint((field << 3) | wire);
  }

  int(field: number, value: number): this {
    this.tag(field, WIRE_VARINT);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.bytes.push(...new Uint8Array(new Float32Array([value]).buffer));
    return this;
  }

  string(field: number, value: string): this {
    return this.raw(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => unknown): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.raw(field, inner.finish());
  }

  private raw(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_BYTES);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** onnx.proto enum values used here. */
const TENSOR_FLOAT = 1;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
/** Opset 17 (where LayerNormalization entered the default domain) needs IR version 8. */
const IR_VERSION = 8;
const OPSET = 17;

/** ValueInfoProto of a float tensor with a fixed shape. */
function floatTensorInfo(w: ProtoWriter, name: string, shape: readonly number[]) {
  w.string(1, name).message(2, type => type.message(1, tensor => {
    tensor.int(1, TENSOR_FLOAT).message(2, dims => {
      for (const d of shape) dims.message(1, dim => dim.int(1, d));
    });
  }));
}

export interface LayerNormModelOptions {
  /** Shape of X; Scale and B have shape `shape.slice(axis)`. */
  shape: readonly number[];
  /** First normalized axis; every axis after it is normalized too (ONNX semantics). Default -1. */
  axis?: number;
  epsilon?: number;
}

/** Input and output names of the model. */
export const ONNX_NAMES = {x: 'X', scale: 'Scale', bias: 'B', y: 'Y'} as const;

/** The serialized ModelProto. */
export function layerNormModel({shape, axis = -1, epsilon = 1e-5}: LayerNormModelOptions): Uint8Array {
  const rank = shape.length;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Error(`layerNormModel: axis must be an integer in [${-rank}, ${rank}); got ${axis}`);
  }
  const paramShape = shape.slice(axis < 0 ? axis + rank : axis);
  const {x, scale, bias, y} = ONNX_NAMES;
  return new ProtoWriter()
      .int(1, IR_VERSION)
      .string(2, 'tfjs-layernorm bench')
      .message(7, graph => {
        graph.message(1, node => {
          node.string(1, x).string(1, scale).string(1, bias).string(2, y)
              .string(3, 'layer_norm').string(4, 'LayerNormalization')
              .message(5, a => a.string(1, 'axis').int(3, axis).int(20, ATTRIBUTE_INT))
              .message(5, a => a.string(1, 'epsilon').float(2, epsilon).int(20, ATTRIBUTE_FLOAT));
        });
        graph.string(2, 'layer_norm');
        graph.message(11, v => floatTensorInfo(v, x, shape));
        graph.message(11, v => floatTensorInfo(v, scale, paramShape));
        graph.message(11, v => floatTensorInfo(v, bias, paramShape));
        graph.message(12, v => floatTensorInfo(v, y, shape));
      })
      .message(8, opset => opset.string(1, '').int(2, OPSET))
      .finish();
}
