/** 10,000 training steps on cpu: tensor count flat, RSS within 10% of its post-warm-up value. */
import * as tf from '@tensorflow/tfjs';

import {expectFlat, soak, STEPS} from '../shared/soak';

test(`soak: ${STEPS} training steps on cpu, no growth`, async () => {
  await tf.setBackend('cpu');
  const {records, finalLoss} = await soak();
  expect(Number.isFinite(finalLoss)).toBe(true);
  expectFlat(records);
}, 300000);
