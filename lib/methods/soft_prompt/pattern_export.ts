/**
 * The fill-mask export of a prompt pattern (`pattern.ts`): the pattern's model as a `BertForMaskedLM` folder
 * whose `onnx/model.onnx` holds what it trained — soft vectors at the template's slots, a prefix in its layers —
 * and `promptlab.json` as PET's export writes it (`docs/export.md`), which `petProbabilities` and the shipped
 * scorer read. The soft-prompt method and P-tuning v2's `mask` head export through it.
 *
 * The graph finds the soft slots in its token inputs as training feeds them: an attended `[PAD]` is the next
 * vector of its row (a `[PAD]` typed in a text is read as `[UNK]`, so only the template's slots are). Vectors
 * computed through an encoder (the MLP prompt encoder) are baked as computed, once at export.
 */
import type { HostTensor } from "../../util/tensor.ts";
import { writeHfExport } from "../../model/hf_export.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { evaluateParams } from "../evaluate_params.ts";
import type { PetExportSpec } from "../pet/fill_mask.ts";
import { templateText } from "../pet/template.ts";
import type { PromptPattern } from "./pattern.ts";
import { exportSoftSlotsHook, PROMPT_TABLE, promptValue } from "./prompt.ts";

/**
 * Write the export of `pattern` (classes `labels`, trained weights from the file `source`) into `out`, its
 * `promptlab.json` naming `method`.
 * @returns the soft vectors [P, H] baked in, when the template has soft slots.
 */
export async function writePatternExport(
  out: string,
  pattern: PromptPattern,
  labels: readonly string[],
  source: string,
  method: PetExportSpec["method"],
): Promise<HostTensor | undefined> {
  const { model, template, verbalizer, options, prefix } = pattern;
  const vectors = template.soft ? await evaluateParams(pattern.weights, (param) => promptValue(param, options)) : undefined;
  await writeHfExport(out, {
    model,
    // The computed vectors take the table's name: the graph reads them as they are.
    weights: vectors ? new Map([...pattern.weights, [PROMPT_TABLE, vectors]]) : pattern.weights,
    source,
    architecture: "BertForMaskedLM",
    maxLength: options.maxLength,
    logits: (bert) => bert.mlmLogitsAll(),
    wordEmbeddingsHook: vectors ? (g, param) => exportSoftSlotsHook(g, param(PROMPT_TABLE), model.tokenizer.specialIds.pad) : undefined,
    prefix: prefix ? (g, param) => prefix.build(g, param, 1) : undefined,
    prefixLayers: prefix?.layers,
  });
  const spec: PetExportSpec = {
    method,
    labels: [...labels],
    maxLength: options.maxLength,
    patterns: [{ template: templateText(template), verbalizer: verbalizer.spec }],
  };
  await writeFileAtomic(`${out}/promptlab.json`, JSON.stringify(spec, null, 2) + "\n");
  return vectors;
}
