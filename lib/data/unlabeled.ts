/**
 * Unlabelled text for pre-training and PET's auxiliary MLM loss: the texts of a task's `unlabeled` splits,
 * de-duplicated, with every sentence of an evaluation split removed (decontamination) and counted.
 */
import { textKey } from "./split.ts";
import { getTask } from "./registry.ts";
import type { SourceOptions } from "./sources.ts";
import type { Task } from "./types.ts";

/** Counts of a pass over the unlabelled texts; final once iteration has finished. */
export interface UnlabeledReport {
  /** Texts read from the source splits. */
  read: number;
  /** Texts yielded. */
  yielded: number;
  /** Repeats of an earlier text, skipped. */
  duplicates: number;
  /** Texts equal to a sentence of an evaluation split (or of `exclude`), removed. */
  decontaminated: number;
}

/** Options of {@link unlabeledTexts}. */
export interface UnlabeledOptions extends SourceOptions {
  /** More sentences to keep out, e.g. a sampled dev set. */
  exclude?: Iterable<string>;
}

/** An async iterable of texts whose {@link UnlabeledReport} fills in as it is consumed. */
export interface UnlabeledStream extends AsyncIterable<string> {
  readonly report: UnlabeledReport;
}

/**
 * Stream the unlabelled texts of `ref`. Sentences are compared after `textKey` (NFKC, whitespace removed);
 * the evaluation splits are the task's `evalSplits` (for EPRSTMT: dev_few_all, test_public, test).
 */
export function unlabeledTexts(ref: string | Task, opts: UnlabeledOptions = {}): UnlabeledStream {
  const task = typeof ref === "string" ? getTask(ref) : ref;
  const report: UnlabeledReport = { read: 0, yielded: 0, duplicates: 0, decontaminated: 0 };
  return {
    report,
    async *[Symbol.asyncIterator]() {
      const banned = new Set([...(opts.exclude ?? [])].map(textKey));
      for (const split of task.evalSplits) {
        for (const row of (await task.read(split, opts)).rows) banned.add(textKey(row.text));
      }
      const seen = new Set<string>();
      for (const split of task.unlabeled) {
        for (const { text } of (await task.read(split, opts)).rows) {
          report.read++;
          const key = textKey(text);
          if (banned.has(key)) report.decontaminated++;
          else if (seen.has(key)) report.duplicates++;
          else {
            seen.add(key);
            report.yielded++;
            yield text;
          }
        }
      }
    },
  };
}
