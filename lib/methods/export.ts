/**
 * Export of a saved predictor as a folder transformers.js loads offline (`docs/export.md`): fine-tuning and
 * P-tuning v2 for `pipeline('text-classification')`, PET for `pipeline('fill-mask')` with `promptlab.json`.
 */
import type { InputKind } from "../data/types.ts";
import type { ModelFolder } from "../model/folder.ts";
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

/**
 * Export the predictor saved in `saved` (trained on `model`, which its fingerprint must match) to `out`.
 * @throws InputError naming method.json for a method without an export (AutoPrompt) or another base model.
 */
export async function exportSaved(saved: string, model: ModelFolder, out: string): Promise<ExportResult> {
  const { method } = await readSavedMethod(saved);
  const exporter = methods.get(method)?.exporter;
  if (!exporter) {
    throw new InputError(`method "${method}" has no export; exportable: ${EXPORTABLE_METHODS.join(", ")}`, { file: `${saved}/method.json`, field: "method" });
  }
  const inputs = await exporter.write(saved, model, out);
  return { pipeline: exporter.pipeline, ...(inputs ? { inputs } : {}) };
}
