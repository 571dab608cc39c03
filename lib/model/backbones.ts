/**
 * The backbones a model folder may hold, by `config.json`'s `model_type`: the one place that names each
 * architecture's folder. A second architecture plugs in with its config reader and one line in
 * {@link BACKBONE_READERS} (its config type joins {@link ModelConfig}).
 * @module
 */
import { InputError } from "../util/errors.ts";
import type { Backbone } from "./backbone.ts";
import { BERT_TYPE, bertBackbone } from "./bert/backbone.ts";
import { type BertConfig, parseBertConfig } from "./bert/config.ts";
import { T5_TYPES, t5Backbone } from "./t5/backbone.ts";
import { parseT5Config, type T5Config } from "./t5/config.ts";
import { loadT5Tokenizer } from "./t5/tokenizer.ts";
import type { TextToTextTokenizer } from "./text_to_text.ts";

/** The config of any backbone a folder may hold. */
export type ModelConfig = BertConfig | T5Config;

/** The configs of the backbones whose folders hold a WordPiece encoder (the encoder methods' models). */
export type EncoderConfig = BertConfig;

/** The configs of the text-to-text (encoder-decoder) backbones. */
export type TextToTextConfig = T5Config;

/** Reads a parsed config.json (`file` named in errors) into its backbone. */
type BackboneReader = (json: Record<string, unknown>, file: string) => Backbone<ModelConfig>;

/** Each supported `model_type` and how its config becomes a backbone. */
const BACKBONE_READERS: Readonly<Record<string, BackboneReader>> = {
  [BERT_TYPE]: (json, file) => bertBackbone(parseBertConfig(json, file)),
  ...Object.fromEntries(
    T5_TYPES.map((type) => [type, (json: Record<string, unknown>, file: string) => t5Backbone(parseT5Config(json, file))]),
  ),
};

/** The tokenizer of a text-to-text backbone's folder `dir` (T5's SentencePiece `tokenizer.json`). */
export function loadTextToTextTokenizer(dir: string): Promise<TextToTextTokenizer> {
  return loadT5Tokenizer(dir);
}

/**
 * The backbone a parsed `config.json` describes; a config without `model_type` is BERT's, as the kit has always
 * read it.
 * @throws InputError naming `file` (and `model_type` for one the kit has no backbone for), or the config's own
 *   field errors.
 */
export function readBackbone(json: unknown, file: string): Backbone<ModelConfig> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new InputError("expected a JSON object", { file });
  const raw = json as Record<string, unknown>;
  const type = raw.model_type ?? BERT_TYPE;
  const reader = typeof type === "string" && Object.hasOwn(BACKBONE_READERS, type) ? BACKBONE_READERS[type] : undefined;
  if (!reader) {
    throw new InputError(
      `unsupported (got ${JSON.stringify(type)}); supported: ${Object.keys(BACKBONE_READERS).join(", ")}`,
      { file, field: "model_type" },
    );
  }
  return reader(raw, file);
}
