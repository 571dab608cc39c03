/**
 * The pre-training corpus: unlabelled review and title text of the mirror (EPRSTMT unlabeled, the hotel,
 * food-delivery and online-shopping reviews, TNEWS titles), de-duplicated across sources, with every
 * sentence of an EPRSTMT labelled split and every evaluation split of the other tasks removed. Labels are
 * never read for pre-training.
 */
import { unlabeledTexts } from "../data/unlabeled.ts";
import { loadTexts } from "../data/load.ts";
import { textKey } from "../data/split.ts";
import { fetchSource, type SourceOptions } from "../data/sources.ts";
import { TNEWS_UNLABELED } from "../data/manifest.ts";
import { parseJsonl } from "../data/parse_jsonl.ts";
import { decodeUtf8, fewclueSpec } from "../data/tasks.ts";

/** Tasks whose unlabelled (or training) texts feed pre-training, in corpus order. */
export const CORPUS_TASKS = ["eprstmt", "chnsenticorp_htl", "waimai_10k", "online_shopping_10_cats_sentiment"] as const;

/** EPRSTMT's labelled splits: none of their sentences may be pre-trained on. */
const EPRSTMT_LABELLED = ["train_few_all", "dev_few_all", "test_public", "test"];

/** Counts of corpus assembly. */
export interface CorpusReport {
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
  /** The first `heldout` texts in corpus order (EPRSTMT unlabeled first, as the reference model held out). */
  heldout: string[];
  report: CorpusReport;
}

/**
 * Assemble the corpus through the data layer (mirror, cache or download).
 * @param heldout number of texts held out for evaluation.
 */
export async function pretrainingCorpus(opts: SourceOptions & { heldout?: number } = {}): Promise<Corpus> {
  const banned = new Set<string>();
  for (const split of EPRSTMT_LABELLED) for (const r of await loadTexts("eprstmt", split, opts)) banned.add(textKey(r.text));
  const seen = new Set<string>();
  const texts: string[] = [];
  const report: CorpusReport = { sources: {}, duplicates: 0, decontaminated: 0, train: 0, heldout: 0, characters: 0 };
  const take = (source: string, text: string) => {
    const key = textKey(text);
    if (!key) return;
    if (banned.has(key)) report.decontaminated++;
    else if (seen.has(key)) report.duplicates++;
    else {
      seen.add(key);
      texts.push(text);
      report.sources[source] = (report.sources[source] ?? 0) + 1;
    }
  };
  for (const task of CORPUS_TASKS) {
    const stream = unlabeledTexts(task, opts);
    for await (const text of stream) take(task, text);
    report.decontaminated += stream.report.decontaminated;
  }
  const tnews = await fetchSource(TNEWS_UNLABELED, opts);
  for (const r of parseJsonl(decodeUtf8(tnews.bytes, tnews.path), tnews.path, fewclueSpec(false, [])).rows) take("tnews", r.text);

  const n = Math.min(opts.heldout ?? 2000, texts.length);
  const corpus = { heldout: texts.slice(0, n), train: texts.slice(n) };
  report.heldout = corpus.heldout.length;
  report.train = corpus.train.length;
  report.characters = texts.reduce((s, t) => s + t.length, 0);
  return { ...corpus, report };
}
