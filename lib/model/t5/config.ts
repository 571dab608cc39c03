/**
 * `config.json` of a Hugging Face T5 (original T5, T5 v1.1, mT5) as a typed object, field names and defaults as
 * in transformers' `T5Config`.
 *
 * @example
 * ```ts
 * const config = await readT5Config("models/mengzi-t5-base/config.json");
 * config.act; // "relu" (original T5) or "gelu_new" (v1.1 / mT5's "gated-gelu")
 * ```
 * @module
 */
import { InputError } from "../../util/errors.ts";
import { readJsonFile } from "../../util/json_file.ts";

/** `feed_forward_proj` values and what they mean: the activation, and whether a second projection gates it. */
const FEED_FORWARD = {
  relu: { act: "relu", gated: false },
  "gated-gelu": { act: "gelu_new", gated: true },
} as const;

/** Model types whose folders this reader accepts. */
const MODEL_TYPES = ["t5", "mt5"];

/** A validated T5 configuration. */
export interface T5Config {
  model_type: "t5" | "mt5";
  vocab_size: number;
  d_model: number;
  /** Size of one attention head; `d_kv × num_heads` need not equal `d_model`. */
  d_kv: number;
  d_ff: number;
  /** Encoder blocks. */
  num_layers: number;
  /** Decoder blocks (the file's `null` or absence means `num_layers`). */
  num_decoder_layers: number;
  num_heads: number;
  relative_attention_num_buckets: number;
  relative_attention_max_distance: number;
  dropout_rate: number;
  layer_norm_epsilon: number;
  /** Scale of the random initialisation (HF's `initializer_factor`). */
  initializer_factor: number;
  feed_forward_proj: keyof typeof FEED_FORWARD;
  /** Derived from `feed_forward_proj`: `gelu_new` is GELU's tanh approximation. */
  act: "relu" | "gelu_new";
  /** Derived: the feed-forward has `wi_0` (activated) times `wi_1` (linear) instead of one `wi`. */
  gated: boolean;
  /** Tied: logits are `shared` times the last states scaled by d_model^-0.5 (original T5); untied: `lm_head`. */
  tie_word_embeddings: boolean;
  pad_token_id: number;
  eos_token_id: number;
  decoder_start_token_id: number;
}

/** transformers' `T5Config` defaults (t5-small sizes). */
const DEFAULTS = {
  vocab_size: 32128,
  d_model: 512,
  d_kv: 64,
  d_ff: 2048,
  num_layers: 6,
  num_heads: 8,
  relative_attention_num_buckets: 32,
  relative_attention_max_distance: 128,
  dropout_rate: 0.1,
  layer_norm_epsilon: 1e-6,
  initializer_factor: 1.0,
  feed_forward_proj: "relu",
  tie_word_embeddings: true,
  pad_token_id: 0,
  eos_token_id: 1,
  decoder_start_token_id: 0,
} as const;

/** Sizes above these are not a T5 anyone ships (t5-11b has d_ff 65536, mT5 a 250k vocabulary). */
const LIMITS: Record<string, number> = {
  vocab_size: 1_000_000,
  d_model: 16_384,
  d_kv: 1_024,
  d_ff: 131_072,
  num_layers: 256,
  num_decoder_layers: 256,
  num_heads: 256,
  relative_attention_num_buckets: 4_096,
  relative_attention_max_distance: 1_000_000,
};

/** `config.json` content of `config`: transformers' `T5Config` fields, without the ones derived on reading. */
export function t5ConfigToJson(config: T5Config): Record<string, unknown> {
  const { act: _act, gated: _gated, ...fields } = config;
  return fields;
}

/** True when a parsed config.json declares a T5 (`model_type` t5 or mt5), whatever its other fields say. */
export function declaresT5(json: unknown): boolean {
  return typeof json === "object" && json !== null && MODEL_TYPES.includes((json as Record<string, unknown>).model_type as string);
}

/**
 * Validate a parsed T5 config.json; `file` names the source in errors.
 * @throws InputError naming `file` and the field: a `model_type` other than t5/mt5 (a BERT config in a T5
 *   folder), sizes that are not positive integers or absurdly large, an unsupported `feed_forward_proj`, token
 *   ids outside the vocabulary, a dropout rate outside [0, 1).
 */
export function parseT5Config(json: unknown, file = "config.json"): T5Config {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new InputError("expected a JSON object", { file });
  const raw = json as Record<string, unknown>;
  const fail = (field: string, problem: string): never => {
    throw new InputError(`${problem} (got ${JSON.stringify(raw[field])})`, { file, field });
  };
  if (!declaresT5(raw)) {
    fail("model_type", `not a T5 config: expected model_type ${MODEL_TYPES.map((t) => `"${t}"`).join(" or ")}`);
  }
  const get = (k: string): unknown => raw[k] ?? DEFAULTS[k as keyof typeof DEFAULTS];
  const size = (k: string, value = get(k)): number => {
    if (!Number.isSafeInteger(value) || (value as number) <= 0) fail(k, "must be a positive integer");
    if ((value as number) > LIMITS[k]) fail(k, `is larger than any T5 (at most ${LIMITS[k]})`);
    return value as number;
  };
  const vocab = size("vocab_size");
  const tokenId = (k: string): number => {
    const v = get(k);
    if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) >= vocab) fail(k, `must be a token id below vocab_size ${vocab}`);
    return v as number;
  };
  const positive = (k: string): number => {
    const v = get(k);
    if (typeof v !== "number" || !(v > 0)) fail(k, "must be a positive number");
    return v as number;
  };
  const proj = get("feed_forward_proj");
  if (typeof proj !== "string" || !(proj in FEED_FORWARD)) {
    fail("feed_forward_proj", `unsupported; supported: ${Object.keys(FEED_FORWARD).join(", ")}`);
  }
  const ff = FEED_FORWARD[proj as keyof typeof FEED_FORWARD];
  const dropout = get("dropout_rate");
  if (typeof dropout !== "number" || dropout < 0 || dropout >= 1) fail("dropout_rate", "must be a probability in [0, 1)");
  const tie = get("tie_word_embeddings");
  if (typeof tie !== "boolean") fail("tie_word_embeddings", "must be true or false");
  const layers = size("num_layers");
  return {
    model_type: raw.model_type as "t5" | "mt5",
    vocab_size: vocab,
    d_model: size("d_model"),
    d_kv: size("d_kv"),
    d_ff: size("d_ff"),
    num_layers: layers,
    num_decoder_layers: size("num_decoder_layers", raw.num_decoder_layers ?? layers),
    num_heads: size("num_heads"),
    relative_attention_num_buckets: size("relative_attention_num_buckets"),
    relative_attention_max_distance: size("relative_attention_max_distance"),
    dropout_rate: dropout as number,
    layer_norm_epsilon: positive("layer_norm_epsilon"),
    initializer_factor: positive("initializer_factor"),
    feed_forward_proj: proj as keyof typeof FEED_FORWARD,
    act: ff.act,
    gated: ff.gated,
    tie_word_embeddings: tie as boolean,
    pad_token_id: tokenId("pad_token_id"),
    eos_token_id: tokenId("eos_token_id"),
    decoder_start_token_id: tokenId("decoder_start_token_id"),
  };
}

/** Read and validate a T5 config.json. @throws InputError naming the file (missing, bad JSON, bad field). */
export async function readT5Config(path: string): Promise<T5Config> {
  return parseT5Config(await readJsonFile(path), path);
}
