/**
 * `config.json` of a Hugging Face BERT as a typed object. Field names are kept exactly as in the file (and as in
 * transformers' `BertConfig`), with the same defaults, so the docs and the file read alike.
 *
 * @example
 * ```ts
 * const config = await readBertConfig("models/zh-review-bert-tiny/config.json");
 * config.gelu; // "erf" for hidden_act "gelu", "tanh" for "gelu_new" / "gelu_pytorch_tanh"
 * ```
 * @module
 */
import { InputError } from "../../util/errors.ts";
import { writeFileAtomic } from "../../util/atomic.ts";
import { readJsonFile } from "../../util/json_file.ts";

/** Activation names accepted for `hidden_act`, and the GELU each one means. */
const GELU_OF = { gelu: "erf", gelu_new: "tanh", gelu_pytorch_tanh: "tanh" } as const;

/** A validated BERT configuration. */
export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: keyof typeof GELU_OF;
  /** Derived from `hidden_act`: exact `0.5x(1+erf(x/√2))` or the tanh approximation. Not written back. */
  gelu: "erf" | "tanh";
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  /** Dropout before a classification head; `null` means `hidden_dropout_prob`. */
  classifier_dropout: number | null;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  pad_token_id: number;
  initializer_range: number;
  tie_word_embeddings: boolean;
  /** Every other key of the file (architectures, model_type, ...), kept so that saving round-trips. */
  extra: Record<string, unknown>;
}

/** transformers' `BertConfig` defaults (bert-base-uncased sizes). */
const DEFAULTS = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  classifier_dropout: null,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  initializer_range: 0.02,
  tie_word_embeddings: true,
} as const;

const POSITIVE_INTS = [
  "vocab_size",
  "hidden_size",
  "num_hidden_layers",
  "num_attention_heads",
  "intermediate_size",
  "max_position_embeddings",
  "type_vocab_size",
] as const;
const PROBABILITIES = ["hidden_dropout_prob", "attention_probs_dropout_prob"] as const;

/**
 * Validate a parsed config.json. `file` names the source in errors.
 * @throws InputError naming `file` and the field: wrong types, sizes that are not positive integers, hidden size
 *   not divisible by heads, an activation other than GELU, a position embedding type other than "absolute".
 */
export function parseBertConfig(json: unknown, file = "config.json"): BertConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InputError("expected a JSON object", { file });
  }
  const raw = json as Record<string, unknown>;
  const fail = (field: string, problem: string): never => {
    throw new InputError(`${problem} (got ${JSON.stringify(raw[field])})`, { file, field });
  };
  const get = <K extends keyof typeof DEFAULTS>(k: K): unknown => raw[k] ?? DEFAULTS[k];

  const out: Record<string, unknown> = {};
  for (const k of POSITIVE_INTS) {
    const v = get(k);
    if (!Number.isSafeInteger(v) || (v as number) <= 0) fail(k, "must be a positive integer");
    out[k] = v;
  }
  for (const k of PROBABILITIES) {
    const v = get(k);
    if (typeof v !== "number" || v < 0 || v >= 1) fail(k, "must be a probability in [0, 1)");
    out[k] = v;
  }
  const cd = get("classifier_dropout");
  if (cd !== null && (typeof cd !== "number" || cd < 0 || cd >= 1)) fail("classifier_dropout", "must be null or in [0, 1)");
  out.classifier_dropout = cd;
  for (const k of ["layer_norm_eps", "initializer_range"] as const) {
    const v = get(k);
    if (typeof v !== "number" || !(v > 0)) fail(k, "must be a positive number");
    out[k] = v;
  }
  const pad = get("pad_token_id");
  if (!Number.isSafeInteger(pad) || (pad as number) < 0 || (pad as number) >= (out.vocab_size as number)) {
    fail("pad_token_id", `must be a token id below vocab_size ${out.vocab_size}`);
  }
  out.pad_token_id = pad;
  const tie = get("tie_word_embeddings");
  if (typeof tie !== "boolean") fail("tie_word_embeddings", "must be true or false");
  out.tie_word_embeddings = tie;

  const act = get("hidden_act");
  if (typeof act !== "string" || !(act in GELU_OF)) {
    fail("hidden_act", `unsupported activation; supported: ${Object.keys(GELU_OF).join(", ")}`);
  }
  out.hidden_act = act;
  out.gelu = GELU_OF[act as keyof typeof GELU_OF];
  if ((out.hidden_size as number) % (out.num_attention_heads as number) !== 0) {
    fail("hidden_size", `hidden_size ${out.hidden_size} is not divisible by num_attention_heads ${out.num_attention_heads}`);
  }
  // Relative position embeddings and other model types (e.g. RoBERTa's offset positions) need another graph.
  if ((raw.position_embedding_type ?? "absolute") !== "absolute") {
    fail("position_embedding_type", 'unsupported; only "absolute" is implemented');
  }
  if (raw.model_type !== undefined && raw.model_type !== "bert") fail("model_type", 'unsupported; expected "bert"');

  out.extra = Object.fromEntries(Object.entries(raw).filter(([k]) => !(k in DEFAULTS)));
  return out as unknown as BertConfig;
}

/** Read and validate a config.json file. @throws InputError naming the file for a missing file or bad JSON. */
export async function readBertConfig(path: string): Promise<BertConfig> {
  return parseBertConfig(await readJsonFile(path), path);
}

/** The config as config.json content: the extra keys, then every typed field except the derived `gelu`. */
export function bertConfigToJson(config: BertConfig): Record<string, unknown> {
  const { extra, gelu: _derived, ...fields } = config;
  return { ...extra, ...fields };
}

/** Write config.json atomically, pretty-printed as transformers writes it. */
export async function writeBertConfig(path: string, config: BertConfig): Promise<void> {
  await writeFileAtomic(path, bertConfigText(config));
}

/** The text of `config.json` for `config`, as {@link writeBertConfig} writes it. */
export function bertConfigText(config: BertConfig): string {
  return JSON.stringify(bertConfigToJson(config), null, 2) + "\n";
}
