/**
 * The training loop's sizes at the kit's budgets, shared by the methods the loop trains (fine-tuning, PET,
 * P-tuning v2); each method's `presets` start from these.
 */

/** The notebooks' `ci` budget: a handful of steps, short inputs. */
export const CI_LOOP = { steps: 6, evalEvery: 3, batchSize: 8, maxLength: 64 } as const;

/** A conformance test case: two steps on the embedded model within seconds. */
export const TEST_LOOP = { steps: 2, batchSize: 4, evalEvery: 1, maxLength: 32, evalBatchSize: 8, seed: 3 } as const;

/** `deno task demo`: sizes that keep the whole demo near ten minutes on two cores with the embedded model. */
export const DEMO_LOOP = { steps: 60, evalEvery: 20, batchSize: 16, maxLength: 64 } as const;
