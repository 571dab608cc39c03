/** Row and dataset types shared by the data layer and its users. */
import type { SourceOptions } from "./sources.ts";

/** One text, or a sentence pair (`textB` set), with its source id when the file has one. */
export interface TextRow {
  text: string;
  /** The second sentence of a pair task's row (BUSTM's `sentence2`); absent for single-text tasks. */
  textB?: string;
  /** The candidates of a multiple-choice row (CHID's idioms); its label is the index of the right one. */
  choices?: string[];
  id?: string;
}

/** What a task's rows hold: one text each, or a sentence pair each. */
export type InputKind = "text" | "pair";

/** A labelled example; `label` is one of its task's canonical {@link Task.labels}. */
export interface Row extends TextRow {
  label: string;
}

/** A split as read from its source. */
export interface Split {
  /** Labelled splits hold {@link Row}s; unlabelled ones (e.g. FewCLUE `test`, `unlabeled`) plain texts. */
  labelled: boolean;
  rows: TextRow[];
  /**
   * Rows of the source file left out before splitting, by reason (`empty`, `duplicate`, `conflicting`), so
   * that nothing is dropped silently. Splits made from one file share the same counts.
   */
  dropped: Record<string, number>;
}

/**
 * A task's own prompt, for tasks the sentiment defaults do not suit: prompt methods take it unless their
 * options say otherwise (`MethodPresets.forTask`).
 */
export interface TaskPrompt {
  /** A PET template: `{text}` (and `{text_b}` on a pair task), literals and one `[MASK]` slot. */
  template: string;
  /** Label words of every canonical label. */
  words: Readonly<Record<string, readonly string[]>>;
}

/** A classification task: its labels, their names for verbalizers and display, and its splits. */
export interface Task {
  name: string;
  description: string;
  /** Canonical label strings, in a fixed order (the class index order). */
  labels: string[];
  /** Chinese name of each label, for verbalizers and templates. */
  labelNamesZh: Record<string, string>;
  /** English name of each label, for display. */
  labelNamesEn: Record<string, string>;
  /** Every split name, labelled or not. */
  splits: string[];
  /** Labelled splits whose union is the pool that few-shot train and dev sets are drawn from. */
  pool: string[];
  /** The labelled split scores are reported on. */
  test: string;
  /** Splits whose sentences must never appear in training text (decontamination). */
  evalSplits: string[];
  /** Splits whose texts (labels ignored) feed pre-training and PET's auxiliary MLM loss. */
  unlabeled: string[];
  /** True when every row is a sentence pair ({@link TextRow.textB} set); absent or false: single texts. */
  pair?: boolean;
  /**
   * Candidates per row of a multiple-choice task (CHID: 7); its labels are the candidate indices "0", "1", ….
   * Methods read its rows as pairs around the blank (`choice_rows.ts`); a method scores it when its presets
   * have `choices` (`docs/data.md`), runs refuse it otherwise.
   */
  choices?: number;
  /** The task's default prompt; absent: the methods' own defaults (written for sentiment). */
  prompt?: TaskPrompt;
  /** Official few-shot splits `train_<i>`/`dev_<i>` for i < count (FewCLUE only). */
  official?: { count: number };
  /** Read one split. */
  read(split: string, opts?: SourceOptions): Promise<Split>;
}

/**
 * Whether methods read `task`'s rows as single texts or sentence pairs: a multiple-choice task's rows read as
 * the pair of texts around their blank (`choice_rows.ts`).
 */
export function inputKind(task: Pick<Task, "pair" | "choices">): InputKind {
  return task.pair || task.choices ? "pair" : "text";
}
