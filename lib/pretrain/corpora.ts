/**
 * The named pre-training corpora. A corpus is versioned by its name: once a model is trained on one, its
 * definition never changes (a model's `training_log.json` records the name, and `pretrainingCorpus(name)`
 * rebuilds the same texts), and a broader corpus is a new name beside it.
 */
import { TNEWS_UNLABELED } from "../data/manifest.ts";
import type { SourceFile } from "../data/manifest.ts";
import { InputError } from "../util/errors.ts";

/**
 * Text of a registered task: the rows of its `unlabeled` splits (or of `splits`), each decontaminated against
 * the task's own evaluation splits. A pair gives its first text only, unless `bothTexts` (two sentences of
 * the data, as BUSTM's queries; CSL's keyword list and CLUEWSC's question are made by the loader).
 */
export interface TaskSource {
  task: string;
  splits?: readonly string[];
  bothTexts?: boolean;
}

/** Text of a pinned file that no registered task reads (single texts in FewCLUE's `sentence` field). */
export interface FileSource {
  name: string;
  file: SourceFile;
}

/** One corpus: its sources in corpus order and what is kept out of it. */
export interface CorpusDefinition {
  name: string;
  /** What the corpus holds, in a sentence or two (model cards quote it). */
  description: string;
  sources: readonly (TaskSource | FileSource)[];
  /**
   * Whether every sentence of every registered task's evaluation splits (dev, test_public, test, a fixed-split
   * set's test part) is kept out of every source; otherwise each task source keeps out its own task's only.
   * EPRSTMT's labelled splits are kept out of every corpus.
   */
  banEveryEvalSplit: boolean;
  /**
   * Held-out texts: those of this earlier corpus that this one keeps, so models trained on either are scored on
   * text none of them saw. Without it, the first `heldout` texts in corpus order.
   */
  heldoutFrom?: string;
}

const REVIEWS_V1: CorpusDefinition = {
  name: "reviews-v1",
  description: "Unlabelled review and title text of the data mirror: EPRSTMT unlabeled, the training parts of " +
    "ChnSentiCorp_htl, waimai_10k and online_shopping_10_cats (their fixed test parts left out), and TNEWS unlabeled titles.",
  sources: [
    { task: "eprstmt" },
    { task: "chnsenticorp_htl" },
    { task: "waimai_10k" },
    { task: "online_shopping_10_cats_sentiment" },
    { name: "tnews", file: TNEWS_UNLABELED },
  ],
  banEveryEvalSplit: false,
};

/** FewCLUE's training splits of a task with no unlabelled file (they are its `unlabeled` splits already). */
const TRAINING = ["train_few_all"];

const FEWCLUE_V2: CorpusDefinition = {
  name: "fewclue-v2",
  description: `${REVIEWS_V1.description} Added: BUSTM's and CHID's unlabelled and training texts (both queries of ` +
    "a BUSTM pair; a CHID passage with its idiom blank cut out), and the training texts of IFLYTEK (app " +
    "descriptions), CSLDCP (paper abstracts), CSL (abstracts) and CLUEWSC (novel passages), none of which has an " +
    "unlabelled file. No dev or test text of any registered task, in any source.",
  sources: [
    ...REVIEWS_V1.sources,
    { task: "bustm", splits: ["unlabeled", ...TRAINING], bothTexts: true },
    { task: "chid", splits: ["unlabeled", ...TRAINING] },
    { task: "iflytek", splits: TRAINING },
    { task: "csldcp", splits: TRAINING },
    { task: "csl", splits: TRAINING },
    { task: "cluewsc", splits: TRAINING },
  ],
  banEveryEvalSplit: true,
  heldoutFrom: REVIEWS_V1.name,
};

/** Every corpus, oldest first. */
export const CORPORA: readonly CorpusDefinition[] = [REVIEWS_V1, FEWCLUE_V2];

/** The corpus models were pre-trained on before corpora had names, and the default of `cli pretrain`. */
export const DEFAULT_CORPUS = REVIEWS_V1.name;

/** The names of {@link CORPORA}. */
export const CORPUS_NAMES: readonly string[] = CORPORA.map((c) => c.name);

/**
 * The corpus named `name`.
 * @throws InputError naming the field and the known names.
 */
export function corpusDefinition(name: string, field = "corpus"): CorpusDefinition {
  const found = CORPORA.find((c) => c.name === name);
  if (!found) throw new InputError(`unknown corpus "${name}" (known: ${CORPUS_NAMES.join(", ")})`, { field });
  return found;
}
