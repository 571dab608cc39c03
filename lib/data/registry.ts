/** The registered datasets, by name. */
import { fileURLToPath } from "node:url";
import { InputError } from "../util/errors.ts";
import { chidRecord, cluewscRecord, cslRecord } from "./fewclue_formats.ts";
import { CSLDCP_CLASSES, IFLYTEK_CLASSES } from "./fewclue_labels.ts";
import {
  BUSTM_FILES,
  CHID_FILES,
  CLUEWSC_FILES,
  CSL_FILES,
  CSLDCP_FILES,
  EPRSTMT_FILES,
  HTL_FILE,
  IFLYTEK_FILES,
  SHOPPING_ENTRY,
  SHOPPING_ZIP,
  type SourceFile,
  WAIMAI_FILE,
} from "./manifest.ts";
import { parseCsv } from "./parse_csv.ts";
import type { ColumnSpec } from "./records.ts";
import { fetchSource, mismatch, type ResolvedSourceOptions } from "./sources.ts";
import {
  decodeUtf8,
  fewcluePairSpec,
  fewclueSpec,
  fewclueTask,
  fixedSplitTask,
  jsonlFilesTask,
  type LabelSet,
  PARAPHRASE,
  SENTIMENT,
  type SourceRows,
} from "./tasks.ts";
import type { Task } from "./types.ts";
import { extractZip } from "./zip.ts";

/** BUSTM's 1/0: the two sentences mean the same, or not. */
const BUSTM_LABELS = { "1": "Same", "0": "Different" };

/** CSL's 1/0: the keywords are the paper's own, or some are not. */
const CSL: LabelSet = {
  labels: ["Genuine", "Fake"],
  labelNamesZh: { Genuine: "真关键词", Fake: "假关键词" },
  labelNamesEn: { Genuine: "the paper's keywords", Fake: "not all the paper's keywords" },
};

/** CLUEWSC's true/false: the pronoun (span 2) refers to the candidate (span 1), or not. */
const CLUEWSC: LabelSet = {
  labels: ["True", "False"],
  labelNamesZh: { True: "是", False: "不是" },
  labelNamesEn: { True: "the pronoun refers to the candidate", False: "it does not" },
};

/** Labels of a many-class FewCLUE task: its class names, which are their own Chinese (and display) names. */
function namedClasses(classes: readonly (readonly [string, string])[]): LabelSet {
  const labels = classes.map(([name]) => name);
  const self = Object.fromEntries(labels.map((l) => [l, l]));
  return { labels, labelNamesZh: self, labelNamesEn: self };
}

/** FewCLUE's two-character label words of a many-class task, one per class. */
function twoCharWords(classes: readonly (readonly [string, string])[]): Record<string, string[]> {
  return Object.fromEntries(classes.map(([name, word]) => [name, [word]]));
}

/** CHID's answers: the index of the right one of its 7 candidate idioms. */
const CHID_CANDIDATES = 7;
const CHID: LabelSet = (() => {
  const labels = Array.from({ length: CHID_CANDIDATES }, (_, i) => String(i));
  return {
    labels,
    labelNamesZh: Object.fromEntries(labels.map((l) => [l, `第${Number(l) + 1}个成语`])),
    labelNamesEn: Object.fromEntries(labels.map((l) => [l, `candidate ${Number(l) + 1}`])),
  };
})();

const IFLYTEK = namedClasses(IFLYTEK_CLASSES);
const CSLDCP = namedClasses(CSLDCP_CLASSES);

/** ChineseNlpCorpus's 1/0 sentiment labels. */
const BINARY = { "1": "Positive", "0": "Negative" };

/** online_shopping_10_cats categories: canonical label, Chinese name (as in the CSV), English name. */
const CATEGORIES: [string, string, string][] = [
  ["books", "书籍", "books"],
  ["tablet", "平板", "tablets"],
  ["phone", "手机", "mobile phones"],
  ["fruit", "水果", "fruit"],
  ["shampoo", "洗发水", "shampoo"],
  ["water_heater", "热水器", "water heaters"],
  ["mengniu", "蒙牛", "Mengniu dairy"],
  ["clothes", "衣服", "clothes"],
  ["computer", "计算机", "computers"],
  ["hotel", "酒店", "hotels"],
];

const CATEGORY: LabelSet & { fromCsv: Record<string, string> } = {
  labels: CATEGORIES.map(([l]) => l),
  labelNamesZh: Object.fromEntries(CATEGORIES.map(([l, zh]) => [l, zh])),
  labelNamesEn: Object.fromEntries(CATEGORIES.map(([l, , en]) => [l, en])),
  fromCsv: Object.fromEntries(CATEGORIES.map(([l, zh]) => [zh, l])),
};

/**
 * Upstream ChineseNlpCorpus files contain a few blank reviews (one in ChnSentiCorp_htl_all, one in
 * online_shopping_10_cats); they are left out and counted under `dropped.empty`.
 */
function corpusSpec(text: string, label: string, labelMap: Record<string, string>, labels: string[]): ColumnSpec {
  return { text, label, labelMap, labels, emptyText: "drop" };
}

async function readCsvSource(src: SourceFile, spec: ColumnSpec, opts: ResolvedSourceOptions): Promise<SourceRows> {
  const { path, bytes } = await fetchSource(src, opts);
  return parseCsv(decodeUtf8(bytes, path), path, spec) as SourceRows;
}

/**
 * The shopping CSV, extracted from its verified zip into the cache (keyed by the zip's checksum) and
 * verified against its own pin on every read: a copy that is missing, cut or edited is extracted again.
 */
async function readShopping(spec: ColumnSpec, opts: ResolvedSourceOptions): Promise<SourceRows> {
  const zip = await fetchSource(SHOPPING_ZIP, opts);
  const csvPath = `${opts.cache}/extracted/${SHOPPING_ZIP.sha256.slice(0, 16)}/${SHOPPING_ENTRY.name}`;
  let bytes = await Deno.readFile(csvPath).catch(() => null);
  if (!bytes || mismatch(SHOPPING_ENTRY, bytes)) {
    await extractZip(zip.bytes, zip.path, csvPath.slice(0, csvPath.lastIndexOf("/")));
    bytes = await Deno.readFile(csvPath).catch(() => {
      throw new InputError(`zip archive has no entry ${SHOPPING_ENTRY.name}`, { file: zip.path });
    });
    const bad = mismatch(SHOPPING_ENTRY, bytes);
    if (bad) throw new InputError(`extracted ${SHOPPING_ENTRY.name} is not the pinned file: ${bad}`, { file: csvPath });
  }
  return parseCsv(decodeUtf8(bytes, csvPath), csvPath, spec) as SourceRows;
}

/**
 * How a FewCLUE task's splits are used: few-shot sampling from the union of the official train and dev sets,
 * scores on `test_public`, no training text from any evaluation split, five official train/dev splits.
 */
const FEWCLUE_SPLITS = {
  pool: ["train_few_all", "dev_few_all"],
  test: "test_public",
  evalSplits: ["dev_few_all", "test_public", "test"],
  unlabeled: ["unlabeled"],
  official: { count: 5 },
};
/** FewCLUE splits without labels. */
const FEWCLUE_UNLABELLED = ["test", "unlabeled"];

const demoDir = fileURLToPath(new URL("../../data/demo-reviews/", import.meta.url));

const TASKS: Task[] = [
  fewclueTask(
    {
      name: "eprstmt",
      description: "FewCLUE EPRSTMT: e-commerce product review sentiment",
      ...SENTIMENT,
      ...FEWCLUE_SPLITS,
    },
    EPRSTMT_FILES,
    FEWCLUE_UNLABELLED,
  ),
  fixedSplitTask(
    { name: "chnsenticorp_htl", description: "ChnSentiCorp hotel review sentiment", ...SENTIMENT },
    (o) => readCsvSource(HTL_FILE, corpusSpec("review", "label", BINARY, SENTIMENT.labels), o),
  ),
  fixedSplitTask(
    { name: "waimai_10k", description: "waimai_10k food-delivery review sentiment", ...SENTIMENT },
    (o) => readCsvSource(WAIMAI_FILE, corpusSpec("review", "label", BINARY, SENTIMENT.labels), o),
  ),
  fixedSplitTask(
    {
      name: "online_shopping_10_cats_sentiment",
      description: "online_shopping_10_cats: review sentiment over 10 product categories",
      ...SENTIMENT,
    },
    (o) => readShopping(corpusSpec("review", "label", BINARY, SENTIMENT.labels), o),
  ),
  fixedSplitTask(
    {
      name: "online_shopping_10_cats_category",
      description: "online_shopping_10_cats: 10-way product category of a review",
      labels: CATEGORY.labels,
      labelNamesZh: CATEGORY.labelNamesZh,
      labelNamesEn: CATEGORY.labelNamesEn,
    },
    (o) => readShopping(corpusSpec("review", "cat", CATEGORY.fromCsv, CATEGORY.labels), o),
  ),
  jsonlFilesTask(
    {
      name: "demo",
      description: "embedded demo: short product and service reviews written for this kit (data/demo-reviews)",
      ...SENTIMENT,
      pool: ["train"],
      test: "test",
      evalSplits: ["test"],
      unlabeled: ["train"],
    },
    { train: `${demoDir}train.jsonl`, test: `${demoDir}test.jsonl` },
    fewclueSpec(true, SENTIMENT.labels),
  ),
  fewclueTask(
    {
      name: "bustm",
      description: "FewCLUE BUSTM: do two short assistant queries mean the same (sentence pairs)",
      ...PARAPHRASE,
      pair: true,
      ...FEWCLUE_SPLITS,
    },
    BUSTM_FILES,
    FEWCLUE_UNLABELLED,
    (labelled) => fewcluePairSpec(labelled, PARAPHRASE.labels, BUSTM_LABELS),
  ),
  fewclueTask(
    {
      name: "csl",
      description: "FewCLUE CSL: are these keywords the paper's own (abstract + keyword list, sentence pairs)",
      ...CSL,
      pair: true,
      prompt: { template: "{text_b}[MASK]是这篇论文的关键词。{text}", words: { Genuine: ["都"], Fake: ["不"] } },
      ...FEWCLUE_SPLITS,
      unlabeled: ["train_few_all"],
    },
    CSL_FILES,
    FEWCLUE_UNLABELLED,
    (labelled) => ({ ...fewcluePairSpec(labelled, CSL.labels, { "1": "Genuine", "0": "Fake" }), text: "abst" }),
    cslRecord,
  ),
  fewclueTask(
    {
      name: "cluewsc",
      description: "FewCLUE CLUEWSC: does the pronoun refer to the marked candidate (text + its two spans, sentence pairs)",
      ...CLUEWSC,
      pair: true,
      prompt: { template: "{text}？[MASK]，{text_b}", words: { True: ["是"], False: ["不"] } },
      ...FEWCLUE_SPLITS,
      unlabeled: ["train_few_all"],
    },
    CLUEWSC_FILES,
    FEWCLUE_UNLABELLED,
    (labelled) => ({ ...fewcluePairSpec(labelled, CLUEWSC.labels, { true: "True", false: "False" }), text: "text", id: "idx" }),
    cluewscRecord,
  ),
  fewclueTask(
    {
      name: "iflytek",
      description: "FewCLUE IFLYTEK: which of 119 app categories an app description belongs to",
      ...IFLYTEK,
      prompt: { template: "这是一款[MASK]类应用：{text}", words: twoCharWords(IFLYTEK_CLASSES) },
      ...FEWCLUE_SPLITS,
      unlabeled: ["train_few_all"],
    },
    IFLYTEK_FILES,
    FEWCLUE_UNLABELLED,
    (labelled) => ({
      ...fewclueSpec(labelled, IFLYTEK.labels),
      ...(labelled ? { labelMap: Object.fromEntries(IFLYTEK.labels.map((l, i) => [String(i), l])) } : {}),
    }),
  ),
  fewclueTask(
    {
      name: "csldcp",
      description: "FewCLUE CSLDCP: which of 67 disciplines a paper abstract belongs to",
      ...CSLDCP,
      prompt: { template: "这是一篇[MASK]学科的论文：{text}", words: twoCharWords(CSLDCP_CLASSES) },
      ...FEWCLUE_SPLITS,
      unlabeled: ["train_few_all"],
    },
    CSLDCP_FILES,
    FEWCLUE_UNLABELLED,
    (labelled) => ({ ...fewclueSpec(labelled, CSLDCP.labels), text: "content" }),
  ),
  fewclueTask(
    {
      name: "chid",
      description: "FewCLUE CHID: which of 7 candidate idioms fills the #idiom# blank (multiple choice)",
      ...CHID,
      choices: CHID_CANDIDATES,
      ...FEWCLUE_SPLITS,
    },
    CHID_FILES,
    FEWCLUE_UNLABELLED,
    (labelled) => ({ text: "content", id: "id", choices: "candidates", ...(labelled ? { label: "answer", labels: CHID.labels } : {}) }),
    chidRecord,
  ),
];

/** Every registered task, in listing order. */
export function listTasks(): Task[] {
  return TASKS.slice();
}

/** The registered task `name`; an input error listing the names otherwise. */
export function getTask(name: string): Task {
  const task = TASKS.find((t) => t.name === name);
  if (!task) throw new InputError(`unknown dataset "${name}" (known: ${TASKS.map((t) => t.name).join(", ")})`);
  return task;
}
