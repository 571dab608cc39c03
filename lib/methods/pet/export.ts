/**
 * Export of a saved PET predictor for transformers.js' `pipeline('fill-mask')`: the (prompt-fine-tuned or
 * pretrained) model as a `BertForMaskedLM` folder with its tied decoder, and `promptlab.json` holding labels,
 * templates, verbalizers, calibrations and the input length, which `fill_mask.ts` turns fill-mask scores into class
 * probabilities with.
 *
 * Label words of several tokens are scored at several masks as in the kit (`fill_mask.ts`). Refused: ensembles
 * of separately fine-tuned patterns (one folder holds one model; a zero-shot ensemble shares it).
 */
import type { InputKind } from "../../data/types.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { writeHfExport } from "../../model/hf_export.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { InputError } from "../../util/errors.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { templateInputs } from "../prompt_inputs.ts";
import { loadMethod, savedWeightsFile } from "../saved.ts";
import type { PetExportSpec } from "./fill_mask.ts";
import { type PetOptions, savedBiases } from "./pet.ts";
import { resolveTemplate } from "./template.ts";
import { buildVerbalizer } from "./verbalizer.ts";
import { refuseCandidatesExport } from "./choice_scores.ts";

/**
 * Export a saved PET predictor (`saved`, trained on `model`) to `out`.
 * @returns the kind of input its templates take (sentence pairs for a `{text_b}` template).
 */
export async function exportPet(saved: string, model: ModelFolder, out: string): Promise<InputKind> {
  const { meta, tensors } = await loadMethod<PetOptions>(saved, "pet", model);
  const o = meta.options;
  const file = `${saved}/method.json`;
  const given = o.patterns ?? [{ template: o.template, verbalizer: o.verbalizer }];
  // A calibrated predictor divides each pattern's probabilities by its saved p_cf: the export must too.
  const biases = savedBiases(meta.extra, o, meta.labels.length, given.length, file);
  given.forEach((p, i) => refuseCandidatesExport(p.verbalizer, file, o.patterns ? `options.patterns.${i}.verbalizer` : undefined));
  const templates = given.map((p) => resolveTemplate(p.template));
  const patterns = given.map((p, i) => ({
    template: templates[i].source,
    verbalizer: buildVerbalizer(model.tokenizer, meta.labels, p.verbalizer).spec,
    ...(biases ? { calibration: biases[i] } : {}),
  }));
  if (tensors.size && patterns.length > 1) {
    throw new InputError(
      `an ensemble of ${patterns.length} separately fine-tuned patterns is ${patterns.length} models; a fill-mask folder holds one`,
      { file, field: "patterns" },
    );
  }
  // A fine-tuned pattern's weights are saved under "pattern0/"; zero-shot uses the base model as it is.
  const trained: TensorMap = new Map([...tensors].map(([n, t]) => [n.slice(n.indexOf("/") + 1), t]));
  await writeHfExport(out, {
    model,
    weights: new Map([...model.weights, ...trained]),
    source: savedWeightsFile(saved),
    architecture: "BertForMaskedLM",
    maxLength: o.maxLength,
    logits: (bert) => bert.mlmLogitsAll(),
  });
  const spec: PetExportSpec = { method: "pet", labels: meta.labels, maxLength: o.maxLength, patterns };
  await writeFileAtomic(`${out}/promptlab.json`, JSON.stringify(spec, null, 2) + "\n");
  return templateInputs(templates[0]);
}
