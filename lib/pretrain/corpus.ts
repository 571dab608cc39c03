/**
 * Building a named pre-training corpus (`corpora.ts`) through the data layer: its sources' texts in corpus
 * order, de-duplicated across sources, with the evaluation sentences its definition keeps out removed (the
 * shared `decontaminate` of the data layer, as the multitask builder uses it), split into training and
 * held-out text. Labels are never read for pre-training.
 */
import { unlabeledRows } from "../data/unlabeled.ts";
import { sentences } from "../data/unlabeled.ts";
import { IDIOM_BLANK } from "../data/fewclue_formats.ts";
import { getTask, listTasks } from "../data/registry.ts";
import { textKey } from "../data/split.ts";
import { fetchSource, type SourceOptions } from "../data/sources.ts";
import { parseJsonl } from "../data/parse_jsonl.ts";
import { decodeUtf8, fewclueSpec } from "../data/tasks.ts";
import type { TextRow } from "../data/types.ts";
import { type CorpusDefinition, corpusDefinition, DEFAULT_CORPUS, type FileSource, type TaskSource } from "./corpora.ts";

/** EPRSTMT's labelled splits: none of their sentences is pre-trained on, in any corpus. */
const EPRSTMT_LABELLED = ["train_few_all", "dev_few_all", "test_public", "test"];

/** Counts of corpus assembly. */
export interface CorpusReport {
  /** The corpus's name (`corpora.ts`). */
  name: string;
  /** Texts taken from each source. */
  sources: Record<string, number>;
  duplicates: number;
  decontaminated: number;
  train: number;
  heldout: number;
  characters: number;
}

/** The corpus, split into training text and held-out text. */
export interface Corpus {
  train: string[];
  /** Held-out texts, never trained on (see `CorpusDefinition.heldoutFrom`). */
  heldout: string[];
  report: CorpusReport;
}

/** Options of {@link pretrainingCorpus}. */
export interface CorpusOptions extends SourceOptions {
  /** The corpus's name (default `reviews-v1`). */
  name?: string;
  /** Texts held out for evaluation (default 2,000): the first in corpus order, for a corpus that does not take an earlier one's. */
  heldout?: number;
}

/** A corpus text as pre-training reads it: CHID's idiom blank cut out (its idiom is unknown without the label). */
export function corpusText(text: string): string {
  return text.replaceAll(IDIOM_BLANK, "");
}

/** Keys of every sentence of `splits` of `task`, in corpus form. */
async function sentenceKeys(task: string, splits: readonly string[], opts: SourceOptions, into: Set<string>): Promise<void> {
  const t = getTask(task);
  for (const split of splits) {
    for (const row of (await t.read(split, opts)).rows) for (const s of sentences(row)) into.add(textKey(corpusText(s)));
  }
}

/** The sentences a corpus may never hold: EPRSTMT's labelled splits, and every task's evaluation splits when asked. */
async function bannedKeys(def: CorpusDefinition, opts: SourceOptions): Promise<Set<string>> {
  const banned = new Set<string>();
  await sentenceKeys("eprstmt", EPRSTMT_LABELLED, opts, banned);
  if (def.banEveryEvalSplit) { for (const task of listTasks()) await sentenceKeys(task.name, task.evalSplits, opts, banned); }
  return banned;
}

/** The texts of one source, with the rows its own decontamination removed. */
async function* sourceTexts(source: TaskSource | FileSource, opts: SourceOptions, counts: { decontaminated: number }) {
  if ("file" in source) {
    const { bytes, path } = await fetchSource(source.file, opts);
    for (const r of parseJsonl(decodeUtf8(bytes, path), path, fewclueSpec(false, [])).rows) yield r.text;
    return;
  }
  const task = getTask(source.task);
  const rows = unlabeledRows(source.splits ? { ...task, unlabeled: [...source.splits] } : task, opts);
  const texts = (row: TextRow) => source.bothTexts ? sentences(row) : [row.text];
  for await (const row of rows) yield* texts(row);
  counts.decontaminated += rows.report.decontaminated;
}

/** A source's name in the report. */
const sourceName = (source: TaskSource | FileSource) => "file" in source ? source.name : source.task;

/**
 * Assemble the corpus `opts.name` (default `reviews-v1`) through the data layer (mirror, cache or download).
 * @throws InputError for an unknown corpus name.
 */
export async function pretrainingCorpus(opts: CorpusOptions = {}): Promise<Corpus> {
  const def = corpusDefinition(opts.name ?? DEFAULT_CORPUS);
  const banned = await bannedKeys(def, opts);
  const seen = new Set<string>();
  const texts: string[] = [];
  const report: CorpusReport = { name: def.name, sources: {}, duplicates: 0, decontaminated: 0, train: 0, heldout: 0, characters: 0 };
  for (const source of def.sources) {
    const name = sourceName(source);
    for await (const raw of sourceTexts(source, opts, report)) {
      const text = corpusText(raw);
      const key = textKey(text);
      if (!key) continue;
      if (banned.has(key)) report.decontaminated++;
      else if (seen.has(key)) report.duplicates++;
      else {
        seen.add(key);
        texts.push(text);
        report.sources[name] = (report.sources[name] ?? 0) + 1;
      }
    }
  }
  const corpus = def.heldoutFrom ? await keptHeldout(texts, seen, def.heldoutFrom, opts) : firstHeldout(texts, opts.heldout ?? 2000);
  report.heldout = corpus.heldout.length;
  report.train = corpus.train.length;
  report.characters = texts.reduce((s, t) => s + t.length, 0);
  return { ...corpus, report };
}

/** The first `n` texts held out. */
function firstHeldout(texts: string[], n: number): Pick<Corpus, "train" | "heldout"> {
  const cut = Math.min(n, texts.length);
  return { heldout: texts.slice(0, cut), train: texts.slice(cut) };
}

/** The held-out texts of corpus `from` that this corpus holds (`keys`), out of its training text. */
async function keptHeldout(
  texts: string[],
  keys: Set<string>,
  from: string,
  opts: CorpusOptions,
): Promise<Pick<Corpus, "train" | "heldout">> {
  const earlier = (await pretrainingCorpus({ ...opts, name: from })).heldout;
  const heldout = earlier.filter((t) => keys.has(textKey(t)));
  const out = new Set(heldout.map(textKey));
  return { heldout, train: texts.filter((t) => !out.has(textKey(t))) };
}
