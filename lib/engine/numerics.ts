/**
 * The numerics version: a name for "what numbers training and scoring compute", recorded in every results row
 * (`experiments/provenance.ts`) so that rows made by code that trains differently are told apart.
 *
 * Bump {@link NUMERICS_VERSION} (a new entry in {@link NUMERICS_EPOCHS}, named by the date of its first commit)
 * whenever a change to the engine, the model graph, the training loop, a method or a default option changes
 * the numbers a cell computes: losses, weights or predicted probabilities, even in the last bits. A change
 * that keeps them bit for bit needs no bump. `tests/numerics.test.ts` trains a tiny PET run at one thread and
 * compares it with {@link NUMERICS_REFERENCE}: when it fails, bump the version and re-record the reference.
 * Its tolerance (1e-4 relative, for other CPUs' rounding) lets a change that only reorders float sums pass:
 * such a change needs its bump by hand when it makes a grid cell's numbers differ.
 * @module
 */

/** One numerics epoch: the rows made between its first commit and the next epoch's share its numbers. */
export interface NumericsEpoch {
  /** The version string rows record (the date of the first commit with these numerics, with a letter after the first of a day). */
  version: string;
  /** The first commit (on main) with these numerics; short hash. */
  commit: string;
  /** What changed the numbers, in a few words. */
  change: string;
}

/**
 * Every numerics epoch, oldest first, read from the history of main (commits that kept the numbers bit for
 * bit, e.g. forward-only scoring's finer buckets or the folded gradient clipping, start none).
 */
export const NUMERICS_EPOCHS: readonly NumericsEpoch[] = [
  { version: "2026-11-26", commit: "72e487b", change: "the first kit" },
  { version: "2026-11-28", commit: "5ea6826", change: "GELU as one Gelu node, dropout selecting with its bool mask" },
  { version: "2026-11-28b", commit: "8072988", change: "training budget in epochs; inference batches of length-sorted texts" },
  { version: "2026-11-29", commit: "599bacd", change: "dropout multiplies by a float mask" },
  { version: "2026-11-29b", commit: "de92979", change: "training steps as length-sorted passes" },
  { version: "2026-11-29c", commit: "032b09d", change: "the last encoder layer only at the rows a head reads" },
];

/** The numerics of today's code: the last of {@link NUMERICS_EPOCHS}. */
export const NUMERICS_VERSION: string = NUMERICS_EPOCHS[NUMERICS_EPOCHS.length - 1].version;

/**
 * What the guard run of `tests/numerics.test.ts` gives under {@link NUMERICS_VERSION} at one thread: PET on
 * the demo data (K=4, seed 1) with the 2 x 64 family model, its training losses per step and its class
 * probabilities on the first four test texts (options in the test). Re-recorded with every bump.
 */
export const NUMERICS_REFERENCE: { losses: readonly number[]; proba: readonly (readonly number[])[] } = {
  losses: [1.0042388439178467, 0.888658344745636, 1.1709004938602448, 0.6414859890937805, 0.6483145654201508, 0.7265692055225372],
  proba: [
    [0.5452383029715462, 0.4547616970284538],
    [0.46483431340947956, 0.5351656865905204],
    [0.5276055658475642, 0.47239443415243576],
    [0.49629790395811396, 0.5037020960418861],
  ],
};

/** The epoch named `version`, if it is one of {@link NUMERICS_EPOCHS}. */
export function numericsEpoch(version: string): NumericsEpoch | undefined {
  return NUMERICS_EPOCHS.find((e) => e.version === version);
}
