/**
 * The data layer's public API: registered datasets and local files, splits as typed rows, few-shot
 * protocols, unlabelled text, truncation counts. DataFrames for notebooks are in `frame.ts`.
 */
export { type InputKind, inputKind, type Row, type Split, type Task, type TextRow } from "./types.ts";
export { getTask, listTasks } from "./registry.ts";
export { type LocalDataOptions, localTask, readLocalRows } from "./local.ts";
export { datasetFromFlags, datasetName, type DatasetSpec, datasetTask, LOCAL_DATA_FLAGS } from "./dataset_spec.ts";
export {
  type DatasetStats,
  datasetStats,
  type FewShotData,
  type FewShotProtocol,
  loadFewShot,
  loadSplit,
  loadTexts,
  type SplitStats,
  type TaskRef,
} from "./load.ts";
export { type FewShotOptions, sampleFewShot } from "./fewshot.ts";
export { FIXED_SPLIT_SEED, FIXED_TEST_FRACTION, fixedSplit, rowKey, textKey } from "./split.ts";
export { type UnlabeledOptions, type UnlabeledReport, unlabeledRows, type UnlabeledStream, unlabeledTexts } from "./unlabeled.ts";
export { type TruncationReport, truncationReport } from "./truncation.ts";
export { fetchSource, MissingSourceError, type SourceOptions, sourceUrl } from "./sources.ts";
