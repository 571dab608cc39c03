/**
 * Unlabelled text for pre-training and PET's auxiliary MLM loss: the rows of a task's `unlabeled` splits
 * (single texts, or sentence pairs), de-duplicated, with every sentence of an evaluation split removed
 * (decontamination) and counted. A pair goes when either of its sentences is an evaluation sentence.
 */
import { rowKey, textKey } from "./split.ts";
import { getTask } from "./registry.ts";
import type { SourceOptions } from "./sources.ts";
import type { Task, TextRow } from "./types.ts";
import { InputError } from "../util/errors.ts";

/** Counts of a pass over the unlabelled rows; final once iteration has finished. */
export interface UnlabeledReport {
  /** Rows read from the source splits. */
  read: number;
  /** Rows yielded. */
  yielded: number;
  /** Repeats of an earlier text (or pair), skipped. */
  duplicates: number;
  /** Rows holding a sentence of an evaluation split (or of `exclude`), removed. */
  decontaminated: number;
}

/** Options of {@link unlabeledTexts} and {@link unlabeledRows}. */
export interface UnlabeledOptions extends SourceOptions {
  /** More sentences to keep out, e.g. a sampled dev set. */
  exclude?: Iterable<string>;
}

/** An async iterable whose {@link UnlabeledReport} fills in as it is consumed. */
export interface UnlabeledStream<T = string> extends AsyncIterable<T> {
  readonly report: UnlabeledReport;
}

/** The sentences of a row: its text, and a pair's second one. */
export function sentences(row: TextRow): string[] {
  return row.textB === undefined ? [row.text] : [row.text, row.textB];
}

/** What {@link decontaminate} counts. */
export interface FilterCounts {
  read: number;
  duplicates: number;
  decontaminated: number;
}

/**
 * The rows of `rows` holding no sentence of `banned` (keys of `textKey`), each once (by `rowKey`, remembered in
 * `seen` across calls); what goes is counted into `counts`.
 */
export function* decontaminate<T extends TextRow>(
  rows: Iterable<T>,
  banned: ReadonlySet<string>,
  seen: Set<string>,
  counts: FilterCounts,
): Generator<T> {
  for (const row of rows) {
    counts.read++;
    const key = rowKey(row);
    if (sentences(row).some((s) => banned.has(textKey(s)))) counts.decontaminated++;
    else if (seen.has(key)) counts.duplicates++;
    else {
      seen.add(key);
      yield row;
    }
  }
}

/**
 * Stream the unlabelled rows of `ref` (pairs keep both sentences). Sentences are compared after `textKey`
 * (NFKC, whitespace removed), rows after `rowKey`; the evaluation splits are the task's `evalSplits` (for
 * EPRSTMT and BUSTM: dev_few_all, test_public, test).
 */
export function unlabeledRows(ref: string | Task, opts: UnlabeledOptions = {}): UnlabeledStream<TextRow> {
  const task = typeof ref === "string" ? getTask(ref) : ref;
  const report: UnlabeledReport = { read: 0, yielded: 0, duplicates: 0, decontaminated: 0 };
  return {
    report,
    async *[Symbol.asyncIterator]() {
      const banned = new Set([...(opts.exclude ?? [])].map(textKey));
      for (const split of task.evalSplits) {
        for (const row of (await task.read(split, opts)).rows) for (const s of sentences(row)) banned.add(textKey(s));
      }
      const seen = new Set<string>();
      for (const split of task.unlabeled) {
        for (const row of decontaminate((await task.read(split, opts)).rows, banned, seen, report)) {
          report.yielded++;
          yield row.textB === undefined ? { text: row.text } : { text: row.text, textB: row.textB };
        }
      }
    },
  };
}

/**
 * Stream the unlabelled texts of a single-text task (see {@link unlabeledRows}).
 * @throws InputError for a sentence-pair task, whose rows are not texts.
 */
export function unlabeledTexts(ref: string | Task, opts: UnlabeledOptions = {}): UnlabeledStream<string> {
  const task = typeof ref === "string" ? getTask(ref) : ref;
  if (task.pair) throw new InputError(`dataset "${task.name}" holds sentence pairs, not texts: read it with unlabeledRows`);
  const rows = unlabeledRows(task, opts);
  return {
    report: rows.report,
    async *[Symbol.asyncIterator]() {
      for await (const row of rows) yield row.text;
    },
  };
}
