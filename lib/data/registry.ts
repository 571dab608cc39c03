/** The registered datasets, by name. */
import { fileURLToPath } from "node:url";
import { InputError } from "../util/errors.ts";
import { BUSTM_FILES, EPRSTMT_FILES, HTL_FILE, SHOPPING_ENTRY, SHOPPING_ZIP, type SourceFile, WAIMAI_FILE } from "./manifest.ts";
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
