/**
 * T5 behind the backbone seam: an encoder-decoder whose one capability is `text-to-text` (a prompt encoded,
 * target strings scored, generated and learned by the decoder). It has no pooled first token, no masked-LM
 * head, no per-layer prefixes and no BERT-style encoder graph, so the methods built on those refuse a T5
 * folder when they are created (`requireCapabilities`).
 * @module
 */
import { GradientStep } from "../../engine/gradient_step.ts";
import { Rng } from "../../util/rng.ts";
import type { Backbone, Capability } from "../backbone.ts";
import { readWeightsFile } from "../formats/weight_files.ts";
import { GraphParams } from "../params.ts";
import type { TextToText } from "../text_to_text.ts";
import { type T5Config, t5ConfigToJson } from "./config.ts";
import { writeT5ExportFiles } from "./export.ts";
import { buildT5Loss, IGNORE_LABEL, shiftRight } from "./loss.ts";
import { T5Runner } from "./runner.ts";
import { firstPositionsPrompt } from "./soft_prompt.ts";
import { loadT5Tokenizer } from "./tokenizer.ts";
import { normalizeT5Weights, SHARED } from "./weights.ts";

/** `model_type` values of a T5 config.json. */
export const T5_TYPES = ["t5", "mt5"] as const;

/**
 * Longest input methods give a T5, in tokens. Relative positions set no hard limit; 512 is the length T5 was
 * pre-trained at, and the `model_max_length` of its tokenizers.
 */
const MAX_INPUT = 512;

const CAPABILITIES: ReadonlySet<Capability> = new Set(["text-to-text"]);

/** A member of the seam T5 lacks: methods check capabilities first, so reaching one is a bug. */
function lacks(what: string): never {
  throw new Error(`a T5 backbone has no ${what} (check the capabilities before asking)`);
}

/** The text-to-text side of a T5 of `config`. */
function t5TextToText(config: T5Config): TextToText {
  return {
    ignoreLabel: IGNORE_LABEL,
    runner: (weights, softPrompt) => new T5Runner(config, weights, softPrompt),
    trainStep: (weights, isTrainable, shape, softPrompt) =>
      GradientStep.build((g) => {
        const params = new GraphParams(g, weights, isTrainable);
        const encoderEmbeds = softPrompt ? firstPositionsPrompt(params.get(softPrompt), shape.batch, shape.srcLen) : undefined;
        return { loss: buildT5Loss(g, config, params.get, { ...shape, train: true, encoderEmbeds }).loss, params };
      }),
    shiftRight: (labels) => shiftRight(labels, config),
    writeExport: async (out, dir, weights, softPrompt) =>
      writeT5ExportFiles(out, { dir, config, weights, tokenizer: await loadT5Tokenizer(dir) }, softPrompt),
  };
}

/** The T5 backbone of `config`. */
export function t5Backbone(config: T5Config): Backbone<T5Config> {
  return {
    type: config.model_type,
    config,
    sizes: {
      hiddenSize: config.d_model,
      layers: config.num_layers,
      heads: config.num_heads,
      vocabSize: config.vocab_size,
      maxPositions: MAX_INPUT,
      hiddenDropout: config.dropout_rate,
      classifierDropout: config.dropout_rate,
    },
    capabilities: CAPABILITIES,
    wordEmbeddings: SHARED,
    answerEmbeddings: () => lacks("masked-LM answer head"),
    encoder: () => lacks("BERT-style encoder graph"),
    // A method's own vectors (a soft prompt) start like rows of `shared`: N(0, initializer_factor).
    initTensor: (name, shape, rng: Rng) => {
      const r = rng.fork(name), data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = r.normal(0, config.initializer_factor);
      return { shape, data };
    },
    mlmTrainStep: () => lacks("masked-LM step"),
    loadWeights: async (path) => {
      const configFile = `${path.slice(0, path.lastIndexOf("/") + 1)}config.json`;
      const { weights, ignored } = normalizeT5Weights(await readWeightsFile(path), config, { file: path, configFile });
      return { weights, ignored, notes: [], poolerInitialized: false, mlmHeadInitialized: false, decoderTied: config.tie_word_embeddings };
    },
    configJson: () => t5ConfigToJson(config),
    textToText: t5TextToText(config),
  };
}
