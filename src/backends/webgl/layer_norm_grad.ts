/**
 * Backward LayerNorm on `webgl`: per group the shifted mean (as the forward
 * computed it) and the means of g = dy * gamma and g * xhat (generic
 * reducer), the dx coefficients of kernel_names.ts, dx element-wise, then
 * dBeta and dGamma reduced over the elements sharing each gamma entry.
 */
import * as tf from '@tensorflow/tfjs';
import type {TensorInfo} from '@tensorflow/tfjs';
import type {MathBackendWebGL} from '@tensorflow/tfjs-backend-webgl';

import {LayerNormGradAttrs, LayerNormGradInputs, LayerNormGradKernel} from '../../kernel_names';
import {groupLayout} from '../../layout';
import {inputGradProgram, usePackedOutput} from './elementwise_gpu';
import {GroupProgram} from './group_gpu';
import {GlslLayout} from './layout_glsl';
import {reduce} from './reduce_gpu';
import {flatOutput, flatView, unpackedView, withShape} from './textures';

export function layerNormGrad(args: {
  inputs: LayerNormGradInputs,
  backend: MathBackendWebGL,
  attrs: LayerNormGradAttrs
}): TensorInfo[] {
  const {inputs, backend, attrs: {axis, featureAxes}} = args;
  const paramShape = inputs.gamma.shape;
  if (tf.util.sizeFromShape(inputs.x.shape) === 0) {
    // Sums over no elements are zero.
    const zeros = () => new Float32Array(tf.util.sizeFromShape(paramShape));
    return [
      backend.makeTensorInfo(inputs.x.shape, 'float32', new Float32Array(0)),
      backend.makeTensorInfo(paramShape, 'float32', zeros()),
      backend.makeTensorInfo(paramShape, 'float32', zeros()),
    ];
  }
  const layout = new GlslLayout(groupLayout(inputs.x.shape, axis, featureAxes));
  const temporaries: TensorInfo[] = [];
  const keep = (t: TensorInfo) => (temporaries.push(t), t);
  const flat = (t: TensorInfo) => flatView(backend, t, temporaries);
  const dy = unpackedView(backend, inputs.dy, layout.viewShape, temporaries);
  const x = unpackedView(backend, inputs.x, layout.viewShape, temporaries);
  const gamma = flat(inputs.gamma);
  const invStd = flat(inputs.invStd);

  const groupReduce = {
    segments: layout.groupCount, length: layout.groupLength, reduction: 'mean',
    segmentPosition: 'groupPosition', itemPosition: 'columnPosition',
  } as const;
  const readX = layout.read('getX');
  const g = `${layout.read('getDy')} * getGamma(position.y)`;
  const shiftedMean = keep(reduce(backend, layout, {
    ...groupReduce, inputs: {x}, setup: 'float shift = groupShift(segment);',
    term: `${readX} - shift`,
  }));
  const meanG = keep(reduce(backend, layout, {...groupReduce, inputs: {dy, gamma}, setup: '', term: g}));
  const meanGXhat = keep(reduce(backend, layout, {
    ...groupReduce, inputs: {dy, gamma, x, shiftedMean, invStd},
    setup: 'float shift = groupShift(segment); float centre = getShiftedMean(segment);' +
        ' float scale = getInvStd(segment);',
    term: `${g} * (((${readX} - shift) - centre) * scale)`,
  }));

  const n = `${layout.groupLength}.0`;
  const coefficient = (names: string[], inputs: TensorInfo[], value: string) =>
      keep(flatOutput(backend.runWebGLProgram(
          new GroupProgram(layout, names, value), inputs, 'float32')));
  const xhatCoef = coefficient(
      ['invStd', 'meanGXhat', 'dInvStd'], [invStd, meanGXhat, flat(inputs.dInvStd)],
      `getInvStd(group) * getMeanGXhat(group) + ` +
          `getDInvStd(group) * getInvStd(group) * getInvStd(group) / ${n}`);
  const constCoef = coefficient(
      ['invStd', 'meanG', 'dMean'], [invStd, meanG, flat(inputs.dMean)],
      `getDMean(group) / ${n} - getInvStd(group) * getMeanG(group)`);
  const dx = backend.runWebGLProgram(
      inputGradProgram(layout, usePackedOutput(layout, inputs.x.shape)),
      [dy, gamma, x, shiftedMean, invStd, xhatCoef, constCoef], 'float32');

  const paramReduce = {
    segments: layout.paramSize, length: layout.reduceLength, reduction: 'sum', setup: '',
    segmentPosition: 'paramPosition', itemPosition: 'reducePosition',
  } as const;
  const dBeta = reduce(backend, layout, {...paramReduce, inputs: {dy}, term: layout.read('getDy')});
  const dGamma = reduce(backend, layout, {
    ...paramReduce, inputs: {dy, x, shiftedMean, invStd},
    term: `${layout.read('getDy')} * (((${readX} - groupShift(position.z)) - ` +
        'getShiftedMean(position.z)) * getInvStd(position.z))',
  });
  temporaries.forEach(t => backend.disposeIntermediateTensorInfo(t));
  return [
    withShape(dx, inputs.x.shape), withShape(dGamma, paramShape), withShape(dBeta, paramShape)
  ];
}

export const layerNormGradConfig: tf.KernelConfig = {
  kernelName: LayerNormGradKernel,
  backendName: 'webgl',
  kernelFunc: layerNormGrad as unknown as tf.KernelFunc,
};
