/**
 * Programs with one output per element of x (y and dx), from what they read
 * per group, per gamma entry and per element. Unpacked: one element per
 * fragment, any layout. Packed (simple layout, WEBGL_PACK on): each fragment
 * writes a 2x2 block of [groups, columns], reading per-group values of 2
 * groups and per-entry values of 2 columns for 4 elements (about half the
 * time on SwiftShader).
 */
import * as tf from '@tensorflow/tfjs';
import type {GPGPUProgram} from '@tensorflow/tfjs-backend-webgl';

import {GlslLayout} from './layout_glsl';

interface ElementwiseSpec {
  variableNames: string[];
  /** Per-group values: field -> GLSL of `group`. */
  groupValues: Record<string, string>;
  /** Per-gamma-entry values: field -> GLSL of `param`. */
  paramValues: Record<string, string>;
  /** x-shaped inputs read per element: local name -> getter. */
  elementValues: Record<string, string>;
  /** GLSL of the output from r.<group field>, c.<param field> and the locals. */
  result: string;
}

/** Packed output needs the simple layout and a texture laid out as x's (no copy). */
export function usePackedOutput(layout: GlslLayout, xShape: number[]): boolean {
  return layout.simple && tf.env().getBool('WEBGL_PACK') &&
      tf.webgl_util.isReshapeFree(layout.viewShape, xShape);
}

class ElementwiseProgram implements GPGPUProgram {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  packedOutput: boolean;

  constructor(layout: GlslLayout, spec: ElementwiseSpec, packedOutput: boolean) {
    this.variableNames = spec.variableNames;
    this.outputShape = layout.viewShape;
    this.packedOutput = packedOutput;
    // GLSL has no empty structs.
    const fields = (values: Record<string, string>) =>
        Object.keys(values).map(name => `float ${name};`).join(' ') || 'float unused;';
    const assign = (target: string, values: Record<string, string>) =>
        Object.entries(values).map(([name, glsl]) => `${target}.${name} = ${glsl};`).join(' ');
    const reads = Object.entries(spec.elementValues)
        .map(([name, getter]) => `float ${name} = ${layout.read(getter)};`).join(' ');
    this.userCode = `
      ${layout.helpers(spec.variableNames.includes('x'))}
      struct GroupValues { ${fields(spec.groupValues)} };
      struct ParamValues { ${fields(spec.paramValues)} };

      GroupValues groupValues(int group) {
        GroupValues r; ${assign('r', spec.groupValues)} return r;
      }
      ParamValues paramValues(int param) {
        ParamValues c; ${assign('c', spec.paramValues)} return c;
      }
      float result(GroupValues r, ParamValues c, ivec3 position) {
        ${reads}
        return ${spec.result};
      }

      void main() {
        ${packedOutput ? packedMain(layout.viewShape) : unpackedMain(layout)}
      }
    `;
  }
}

function unpackedMain(layout: GlslLayout): string {
  const position = layout.simple ?
      'ivec2 coords = getOutputCoords(); ivec3 position = ivec3(0, coords.y, coords.x);' :
      'ivec3 position = elementPosition(getOutputCoords());';
  return `${position}
        setOutput(result(groupValues(position.z), paramValues(position.y), position));`;
}

/** The 2x2 block at (group, column), clipped at the last group and column. */
function packedMain([groups, columns]: number[]): string {
  return `
        ivec2 coords = getOutputCoords();
        int group = coords.x;
        int column = coords.y;
        bool hasNextGroup = group + 1 < ${groups};
        bool hasNextColumn = column + 1 < ${columns};
        GroupValues r0 = groupValues(group);
        ParamValues c0 = paramValues(column);
        ParamValues c1 = c0;
        if (hasNextColumn) {
          c1 = paramValues(column + 1);
        }
        vec4 block = vec4(0.0);
        block.x = result(r0, c0, ivec3(0, column, group));
        if (hasNextColumn) {
          block.y = result(r0, c1, ivec3(0, column + 1, group));
        }
        if (hasNextGroup) {
          GroupValues r1 = groupValues(group + 1);
          block.z = result(r1, c0, ivec3(0, column, group + 1));
          if (hasNextColumn) {
            block.w = result(r1, c1, ivec3(0, column + 1, group + 1));
          }
        }
        setOutput(block);`;
}

/** y = ((x - shift) - shiftedMean) * invStd * gamma + beta. */
export function normalizeProgram(layout: GlslLayout, packedOutput: boolean): GPGPUProgram {
  return new ElementwiseProgram(layout, {
    variableNames: ['x', 'shiftedMean', 'invStd', 'gamma', 'beta'],
    groupValues: {shift: 'groupShift(group)', centre: 'getShiftedMean(group)', invStd: 'getInvStd(group)'},
    paramValues: {gamma: 'getGamma(param)', beta: 'getBeta(param)'},
    elementValues: {x: 'getX'},
    result: '((x - r.shift) - r.centre) * r.invStd * c.gamma + c.beta',
  }, packedOutput);
}

/** dx = invStd * dy * gamma - xhatCoef * xhat + constCoef (kernel_names.ts). */
export function inputGradProgram(layout: GlslLayout, packedOutput: boolean): GPGPUProgram {
  return new ElementwiseProgram(layout, {
    variableNames: ['dy', 'gamma', 'x', 'shiftedMean', 'invStd', 'xhatCoef', 'constCoef'],
    groupValues: {
      shift: 'groupShift(group)', centre: 'getShiftedMean(group)', invStd: 'getInvStd(group)',
      xhatCoef: 'getXhatCoef(group)', constCoef: 'getConstCoef(group)',
    },
    paramValues: {gamma: 'getGamma(param)'},
    elementValues: {dy: 'getDy', x: 'getX'},
    result: 'r.invStd * dy * c.gamma - r.xhatCoef * (((x - r.shift) - r.centre) * r.invStd)' +
        ' + r.constCoef',
  }, packedOutput);
}
