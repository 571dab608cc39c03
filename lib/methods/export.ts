/**
 * Export of a saved predictor as a folder transformers.js loads offline (`docs/export.md`): fine-tuning and
 * P-tuning v2 for `pipeline('text-classification')`, PET for `pipeline('fill-mask')` with `promptlab.json`.
 */
import type { ModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { exportFinetune, exportPtuningV2 } from "./classifier/export.ts";
import { exportPet } from "./pet/export.ts";
import { readSavedMethod } from "./saved.ts";

/** Exporters by method name. */
const EXPORTERS: Readonly<Record<string, (saved: string, model: ModelFolder, out: string) => Promise<void>>> = {
  finetune: exportFinetune,
  "ptuning-v2": exportPtuningV2,
  pet: exportPet,
};

/** Methods whose predictors export. */
export const EXPORTABLE_METHODS: readonly string[] = Object.keys(EXPORTERS);

/**
 * Export the predictor saved in `saved` (trained on `model`, which its fingerprint must match) to `out`.
 * @throws InputError naming method.json for a method without an export (AutoPrompt) or another base model.
 */
export async function exportSaved(saved: string, model: ModelFolder, out: string): Promise<void> {
  const { method } = await readSavedMethod(saved);
  const exporter = EXPORTERS[method];
  if (!exporter) {
    throw new InputError(`method "${method}" has no export; exportable: ${EXPORTABLE_METHODS.join(", ")}`, { file: `${saved}/method.json`, field: "method" });
  }
  await exporter(saved, model, out);
}
