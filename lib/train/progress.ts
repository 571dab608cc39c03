/**
 * Progress reports of training and search, shared by the training loop, the methods, pre-training and their
 * callers (a terminal bar in the CLI, a live line in notebooks).
 */

/** A progress report from training or search; `phase` says which (e.g. "train", "search", "eval"). */
export interface ProgressEvent {
  phase: string;
  step: number;
  totalSteps: number;
  loss?: number;
  devAccuracy?: number;
}

/** Receives progress reports. */
export type ProgressCallback = (event: ProgressEvent) => void;
