/**
 * Initializer, regularizer and constraint arguments given as serialized
 * {className, config}: a className that names something on
 * Object.prototype ('constructor', 'toString', '__proto__', …) is an
 * unknown class, refused with the argument's name and the accepted forms;
 * Keras's L1/L2 classes still resolve. cpu.
 */
import * as tf from '@tensorflow/tfjs';

import {LayerNormLayerArgs, layerNormLayer} from '../../src';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ARGUMENTS: Array<[keyof LayerNormLayerArgs, string]> = [
  ['gammaInitializer', 'an initializer'], ['betaInitializer', 'an initializer'],
  ['gammaRegularizer', 'a regularizer'], ['betaRegularizer', 'a regularizer'],
  ['gammaConstraint', 'a constraint'], ['betaConstraint', 'a constraint'],
];
const PROTOTYPE_NAMES = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf', 'isPrototypeOf'];

describe.each(ARGUMENTS)('%s', (argument, noun) => {
  test.each(PROTOTYPE_NAMES)('className %p: an unknown className, named as such', className => {
    // As model.json would hold it (JSON.parse makes '__proto__' an own key too).
    const value = JSON.parse(JSON.stringify({className, config: {}}));
    const expected = new RegExp(`^LayerNorm: ${argument} must be ${noun} name such as .*, ${
        noun} object, or a serialized \\{className, config\\}; got unknown className '${className}'$`);
    const before = tf.memory().numTensors;
    expect(() => layerNormLayer({[argument]: value})).toThrow(expected);
    expect(tf.memory().numTensors).toBe(before);
  });
});

test('Keras\'s L1 and L2 regularizer classes still resolve', () => {
  const layer = layerNormLayer({
    gammaRegularizer: {className: 'L1', config: {l1: 0.25}},
    betaRegularizer: {className: 'L2', config: {l2: 0.5}},
  });
  const config = layer.getConfig();
  expect(config.gammaRegularizer).toEqual({className: 'L1L2', config: {l1: 0.25, l2: 0}});
  expect(config.betaRegularizer).toEqual({className: 'L1L2', config: {l1: 0, l2: 0.5}});
});
