/**
 * One way to classify texts and sentence pairs with whatever the kit wrote: a saved predictor (`method.json`,
 * loaded onto its base model) or an exported folder (`config.json` + `onnx/model.onnx`, run by transformers.js:
 * a `text-classification` model, a PET or soft-prompt `fill-mask` model with `promptlab.json`, or a text-to-text
 * `text2text-generation` model with its `promptlab.json`, which also generates).
 */
import {
  AutoTokenizer,
  env,
  type FillMaskPipeline,
  pipeline,
  type Text2TextGenerationPipeline,
  type TextClassificationPipeline,
} from "@huggingface/transformers";
import type { InputKind } from "../data/types.ts";
import type { TextInput } from "../model/batch.ts";
import { exists } from "../util/fs.ts";
import { exportedTokenizerIds } from "../model/export_folder.ts";
import { readJsonFile } from "../util/json_file.ts";
import { loadAnyModelFolder } from "../model/folder.ts";
import { InputError } from "../util/errors.ts";
import { EXPORT_CONFIG_KEY } from "./classifier/export.ts";
import { ClassifierPredictor } from "./classifier/fit.ts";
import { classifierProbabilities } from "./classifier/text_classification.ts";
import { type PetExportSpec, petProbabilities } from "./pet/fill_mask.ts";
import { parseTemplate } from "./pet/template.ts";
import { recordedInputKind, templateInputs } from "./prompt_inputs.ts";
import { getMethod, methods } from "./registry.ts";
import { TEXT2TEXT_SPEC_FILE, type Text2TextExportSpec, text2textGenerate, text2textProbabilities } from "./text2text/generation.ts";
import { Text2TextPredictor } from "./text2text/predictor.ts";
import { text2text } from "./text2text/text2text.ts";
import { readSavedMethod } from "./saved.ts";

/** Where a model's kind of input is known from: its prompt template's slots, or the rows it was trained on. */
export type InputsFrom = "template" | "training";

/** Class probabilities of texts or sentence pairs, rows in `labels` order. */
export interface TextClassifier {
  readonly labels: readonly string[];
  /** What was opened: `saved <method>`, `export text-classification`, or `export fill-mask (<method's display name>)`. */
  readonly kind: string;
  /**
   * The kind of input the model takes where its folder tells: a PET or AutoPrompt template's slots; the rows a
   * fine-tuning or P-tuning v2 model was trained on (saved in `method.json`, exported in `config.json`).
   * Undefined for those saved before the kind was recorded (and exports of them).
   */
  readonly inputs?: InputKind;
  /** Where {@link inputs} comes from: the template's input slots, or the training rows. */
  readonly inputsFrom?: InputsFrom;
  /** One row per input: a text, or a pair `{ text, textB }`. */
  predictProba(inputs: readonly TextInput[]): Promise<number[][]>;
  /** The text a text-to-text model generates for each input (absent for the other models). */
  generate?(inputs: readonly TextInput[]): Promise<string[]>;
}

/**
 * Open `dir` as a saved predictor or an export.
 * @param baseModel the model folder a saved predictor was trained on (its fingerprint is checked).
 * @throws InputError naming `dir` when it is neither, or naming the file at fault.
 */
export async function openPredictor(dir: string, baseModel: string): Promise<TextClassifier> {
  dir = dir.replace(/\/+$/, "");
  if (await exists(`${dir}/method.json`)) {
    const { method } = await readSavedMethod(dir);
    const predictor = await getMethod(method).load(dir, await loadAnyModelFolder(baseModel));
    return {
      labels: predictor.labels,
      kind: `saved ${method}`,
      ...(predictor.inputs
        ? { inputs: predictor.inputs, inputsFrom: predictor instanceof ClassifierPredictor ? "training" : "template" } as const
        : {}),
      predictProba: (inputs) => predictor.predictProba(inputs),
      ...(predictor instanceof Text2TextPredictor ? { generate: (inputs: readonly TextInput[]) => predictor.generate(inputs) } : {}),
    };
  }
  // promptlab.json: a prompt method's export (PET, soft prompt, P-tuning v2's mask head, text-to-text).
  const promptSpec = await exists(`${dir}/${TEXT2TEXT_SPEC_FILE}`) ? await readJsonFile(`${dir}/${TEXT2TEXT_SPEC_FILE}`) : undefined;
  if ((promptSpec as Text2TextExportSpec | undefined)?.method === text2text.name) {
    return await openText2TextExport(dir, promptSpec as Text2TextExportSpec);
  }
  if (!(await exists(`${dir}/config.json`)) || !(await exists(`${dir}/onnx/model.onnx`))) {
    throw new InputError("neither a saved predictor (method.json) nor an export (config.json and onnx/model.onnx)", { file: dir });
  }
  if (promptSpec) {
    const spec = promptSpec as PetExportSpec;
    const fillMask = await openExportPipeline(dir, "fill-mask") as FillMaskPipeline;
    return {
      labels: spec.labels,
      kind: `export fill-mask (${methods.get(spec.method)?.display.name ?? spec.method})`,
      // The first pattern says: an ensemble mixing kinds could classify nothing.
      inputs: templateInputs(parseTemplate(spec.patterns[0].template, { softSlots: true })),
      inputsFrom: "template",
      predictProba: (inputs) => petProbabilities(fillMask, spec, inputs),
    };
  }
  const config = await readJsonFile(`${dir}/config.json`) as {
    id2label?: Record<string, string>;
    [EXPORT_CONFIG_KEY]?: { inputs?: unknown };
  };
  const id2label = config.id2label;
  if (!id2label) throw new InputError("no id2label: not a text-classification export", { file: `${dir}/config.json`, field: "id2label" });
  const labels = Object.keys(id2label).sort((a, b) => Number(a) - Number(b)).map((k) => id2label[k]);
  // Absent in exports of predictors saved before the kind was recorded.
  const inputs = recordedInputKind(config[EXPORT_CONFIG_KEY]?.inputs, { file: `${dir}/config.json`, field: `${EXPORT_CONFIG_KEY}.inputs` });
  const classify = await openExportPipeline(dir, "text-classification") as TextClassificationPipeline;
  return {
    labels,
    kind: "export text-classification",
    ...(inputs ? { inputs, inputsFrom: "training" } as const : {}),
    predictProba: (inputs) => classifierProbabilities(classify, inputs),
  };
}

/** A text-to-text export: generation and class probabilities through `pipeline('text2text-generation')`. */
async function openText2TextExport(dir: string, spec: Text2TextExportSpec): Promise<TextClassifier> {
  // Its two graphs: an encoder and a decoder with a key/value cache (transformers.js' seq2seq file names).
  const generate = await openExportPipeline(dir, "text2text-generation", `${dir}/onnx`) as Text2TextGenerationPipeline;
  return {
    labels: spec.labels,
    kind: `export text2text-generation (${text2text.display.name})`,
    inputs: spec.inputs,
    inputsFrom: "template",
    predictProba: (inputs) => text2textProbabilities(generate, spec, inputs),
    generate: (inputs) => text2textGenerate(generate, spec, inputs),
  };
}

/**
 * transformers.js' `task` pipeline over the export in `dir`, offline, its tokenizer checked against the model.
 * @param modelFile what an ONNX file that does not load is reported as (default `onnx/model.onnx`).
 * @throws InputError naming the file at fault: tokenizer.json missing or unreadable, a tokenizer with more ids
 *   than the model's embeddings or another count than the export was written with (another model's tokenizer),
 *   an ONNX model that onnxruntime cannot load (truncated, not ONNX).
 */
async function openExportPipeline(
  dir: string,
  task: "fill-mask" | "text-classification" | "text2text-generation",
  modelFile = `${dir}/onnx/model.onnx`,
): Promise<FillMaskPipeline | TextClassificationPipeline | Text2TextGenerationPipeline> {
  const tokenizerFile = `${dir}/tokenizer.json`;
  if (!(await exists(tokenizerFile))) {
    throw new InputError("missing file: an export needs its tokenizer (copy it from the base model or export again)", {
      file: tokenizerFile,
    });
  }
  // transformers.js finds a local model as localModelPath + id.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const slash = dir.lastIndexOf("/");
  env.localModelPath = slash >= 0 ? `${dir.slice(0, slash)}/` : "./";
  const id = dir.slice(slash + 1);
  const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true }).catch((err: Error) => {
    throw new InputError(`transformers.js cannot read the tokenizer: ${err.message.split("\n")[0]}`, { file: tokenizerFile });
  });
  await checkExportTokenizer(dir, tokenizer.get_vocab().size);
  return await pipeline(task, id, { local_files_only: true }).catch((err: Error) => {
    throw new InputError(`onnxruntime cannot load the model (truncated or not ONNX; export again): ${err.message.split("\n")[0]}`, {
      file: modelFile,
    });
  }) as FillMaskPipeline | TextClassificationPipeline | Text2TextGenerationPipeline;
}

/** @throws InputError naming tokenizer.json when its `ids` do not fit the export's model (see {@link openExportPipeline}). */
async function checkExportTokenizer(dir: string, ids: number): Promise<void> {
  const { vocab_size: vocabSize } = await readJsonFile(`${dir}/config.json`) as { vocab_size?: number };
  const exported = await exportedTokenizerIds(dir);
  const problem = vocabSize !== undefined && ids > vocabSize
    ? `${ids} token ids but the model embeds ${vocabSize} (config.json vocab_size)`
    : exported !== undefined && ids !== exported
    ? `${ids} token ids but the export was written with a tokenizer of ${exported}`
    : undefined;
  if (problem) throw new InputError(`${problem}: the tokenizer is another model's; export again`, { file: `${dir}/tokenizer.json` });
}
