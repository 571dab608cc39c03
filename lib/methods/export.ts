/**
 * Export of a saved predictor as a folder transformers.js loads offline (`docs/export.md`): fine-tuning and
 * P-tuning v2 for `pipeline('text-classification')`, PET, the soft prompt and P-tuning v2's `mask` head for
 * `pipeline('fill-mask')` with `promptlab.json`, text-to-text for `pipeline('text2text-generation')` with its
 * `promptlab.json`; every encoder's export also ships `promptlab_scorer.mjs`, the dependency-free scorer that
 * pairs and prompts need.
 */
import type { InputKind } from "../data/types.ts";
import { claimExportFolder, markExportFolder } from "../model/export_folder.ts";
import type { AnyModelFolder } from "../model/folder.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { methods } from "./registry.ts";
import { readSavedMethod } from "./saved.ts";
import type { ExportPipeline } from "./types.ts";

/** What {@link exportSaved} wrote. */
export interface ExportResult {
  /** The transformers.js pipeline the folder loads in. */
  pipeline: ExportPipeline;
  /**
   * The kind of input the export takes where it tells: PET's template; what a fine-tuning or P-tuning v2
   * predictor was trained on (undefined when its `method.json` predates that record).
   */
  inputs?: InputKind;
}

/** Methods whose predictors export (those registered with an exporter), in registration order. */
export const EXPORTABLE_METHODS: readonly string[] = [...methods.values()].filter((m) => m.exporter).map((m) => m.name);

/** The scorer every export ships (`lib/methods/promptlab_scorer.mjs`), under this name. */
export const SCORER_FILE = "promptlab_scorer.mjs";

/**
 * Export the predictor saved in `saved` (trained on `model`, which its fingerprint must match) to `out`: a new
 * or empty folder, or an earlier export of the kit, which is replaced (files a user added beside it are kept).
 * @param outFlag the flag that named `out`, in errors.
 * @throws InputError naming method.json for a method without an export (AutoPrompt) or another base model; the
 *   weights file for a NaN or infinite weight; `outFlag` for an `out` that is a file or holds files the kit did
 *   not export.
 */
export async function exportSaved(saved: string, model: AnyModelFolder, out: string, outFlag = "--out"): Promise<ExportResult> {
  const { method } = await readSavedMethod(saved);
  const exporter = methods.get(method)?.exporter;
  if (!exporter) {
    throw new InputError(`method "${method}" has no export; exportable: ${EXPORTABLE_METHODS.join(", ")}`, {
      file: `${saved}/method.json`,
      field: "method",
    });
  }
  out = out.replace(/\/+$/, "");
  const kept = await claimExportFolder(out, outFlag);
  const inputs = await exporter.write(saved, model, out);
  // The scorer reads an encoder's onnx/model.onnx; a text2text-generation export has a pipeline that generates.
  if (exporter.pipeline !== "text2text-generation") {
    await writeFileAtomic(`${out}/${SCORER_FILE}`, await Deno.readFile(new URL(`./${SCORER_FILE}`, import.meta.url)));
  }
  await markExportFolder(out, kept, model.tokenizer.vocabSize);
  return { pipeline: exporter.pipeline, ...(inputs ? { inputs } : {}) };
}
