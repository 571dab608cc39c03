/**
 * Export of a saved predictor as a folder transformers.js loads offline (`docs/export.md`): fine-tuning and
 * P-tuning v2 for `pipeline('text-classification')`, PET for `pipeline('fill-mask')` with `promptlab.json`.
 */
import type { ModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { exportFinetune, exportPtuningV2 } from "./classifier/export.ts";
import { exportPet } from "./pet/export.ts";
import { readSavedMethod } from "./saved.ts";

/** The transformers.js pipeline an export runs in. */
export type ExportPipeline = "text-classification" | "fill-mask";

/** Exporters by method name, with the pipeline their folders load in. */
const EXPORTERS: Readonly<Record<string, { pipeline: ExportPipeline; write(saved: string, model: ModelFolder, out: string): Promise<void> }>> = {
  finetune: { pipeline: "text-classification", write: exportFinetune },
  "ptuning-v2": { pipeline: "text-classification", write: exportPtuningV2 },
  pet: { pipeline: "fill-mask", write: exportPet },
};

/** Methods whose predictors export. */
export const EXPORTABLE_METHODS: readonly string[] = Object.keys(EXPORTERS);

/**
 * Export the predictor saved in `saved` (trained on `model`, which its fingerprint must match) to `out`.
 * @returns the transformers.js pipeline the folder loads in.
 * @throws InputError naming method.json for a method without an export (AutoPrompt) or another base model.
 */
export async function exportSaved(saved: string, model: ModelFolder, out: string): Promise<ExportPipeline> {
  const { method } = await readSavedMethod(saved);
  const exporter = EXPORTERS[method];
  if (!exporter) {
    throw new InputError(`method "${method}" has no export; exportable: ${EXPORTABLE_METHODS.join(", ")}`, { file: `${saved}/method.json`, field: "method" });
  }
  await exporter.write(saved, model, out);
  return exporter.pipeline;
}
