/**
 * What a method asks of a model, whatever its architecture: an encoder graph built with the method's hooks
 * (soft input embeddings, per-layer prefixes, trainable weights), the heads it reads (a pooled first token,
 * scores of vocabulary ids at answer slots), its sizes, and the capabilities it has, so that a method can refuse
 * a backbone lacking one before any training. A model folder holds one backbone (`ModelFolder.backbone`, chosen
 * by `config.json`'s `model_type` in `backbones.ts`); each architecture implements it in its own folder
 * (`bert/backbone.ts`), and no method builds an architecture's graph by name.
 * @module
 */
import type { Graph, Value } from "../engine/graph.ts";
import type { GradientStep } from "../engine/gradient_step.ts";
import { InputError } from "../util/errors.ts";
import type { Rng } from "../util/rng.ts";
import type { HostTensor, TensorMap } from "../util/tensor.ts";
import type { TextToText } from "./text_to_text.ts";
import type { LoadedWeights } from "./weights.ts";

/** Returns the graph value of a weight by canonical name: an input if trainable, a constant if frozen. */
export type ParamSource = (name: string) => Value;

/**
 * What a backbone can do beyond hidden states, each a promise some method relies on:
 *  - `pooled`: a pooled first-token representation ({@link EncoderGraph.pooled}) for a classification head;
 *  - `mlm`: scores of vocabulary ids at answer slots of the input ({@link EncoderGraph.mlmLogits}: a masked
 *    LM's head) and a masked-LM training step ({@link Backbone.mlmTrainStep});
 *  - `prefix`: per-layer key/value prefixes ({@link EncoderOptions.prefix});
 *  - `soft-input`: hooks on the word-embedding lookup ({@link EncoderOptions.embedOverride},
 *    {@link EncoderOptions.wordEmbeddingsHook}, gradients at {@link EncoderGraph.wordEmbeddings});
 *  - `text-to-text`: an encoder-decoder that reads a prompt and scores, generates and learns target strings
 *    ({@link Backbone.textToText}).
 */
export type Capability = "pooled" | "mlm" | "prefix" | "soft-input" | "text-to-text";

/** What each capability is, in the words of an error message. */
const CAPABILITY_TEXT: Record<Capability, string> = {
  pooled: "pooled first-token representation",
  mlm: "masked-LM head scoring words at a [MASK]",
  prefix: "per-layer key/value prefixes",
  "soft-input": "soft input embeddings",
  "text-to-text": "decoder scoring and generating target strings",
};

/** Shape bucket and hooks of one encoder graph. */
export interface EncoderOptions {
  batch: number;
  seqLen: number;
  /** Dropout on (training); adds a `dropout_seed` uint32 scalar input. */
  train: boolean;
  /**
   * Per-layer prefix keys/values [2·layers, 1 or B, heads, P, d] (row 2i keys and 2i+1 values of layer i):
   * a graph input, or computed in the graph (P-tuning v2's prefix encoder). A batch dimension of 1 is shared
   * by every example. Capability `prefix`.
   */
  prefix?: Value;
  /**
   * The layers the prefix's rows belong to, ascending (row 2k keys and 2k+1 values of layer `prefixLayers[k]`);
   * default every layer. The other layers attend over the tokens only; position ids start at P either way.
   */
  prefixLayers?: readonly number[];
  /** Adds `embed_override` [B, L, H] and `embed_override_mask` [B, L] inputs. Capability `soft-input`. */
  embedOverride?: boolean;
  /**
   * Rewrites the word-embedding lookup [B, L, H] in the graph, before position and type embeddings are added:
   * a soft prompt computed from trained parameters (the soft-prompt method), so one backward pass reaches them.
   * It is handed the token inputs too (`attentionMask` as float32), so an export can find the soft slots in them.
   * Capability `soft-input`.
   */
  wordEmbeddingsHook?: (words: Value, tokens: { inputIds: Value; attentionMask: Value }) => Value;
  /** HF's old -10000 mask (default) or float32 min; identical after softmax. */
  maskValue?: number;
  /**
   * The deployable form (exports): batch and sequence length are read from `input_ids` at run time (`batch`
   * and `seqLen` are placeholders for the builder's checks) and `attention_mask` is int64, as Hugging Face
   * ONNX exports take it. Inference only (no gradient rules for the run-time shape ops).
   */
  runtimeShapes?: boolean;
}

/**
 * The inputs and main values of a built encoder graph. A head of a capability the backbone lacks throws
 * (methods check {@link Backbone.capabilities} first, with {@link requireCapabilities}).
 */
export interface EncoderGraph {
  inputIds: Value;
  tokenTypeIds: Value;
  attentionMask: Value;
  dropoutSeed?: Value;
  embedOverride?: Value;
  embedOverrideMask?: Value;
  /** Word-embedding lookup output [B, L, H] (after any override), before position/type embeddings. */
  wordEmbeddings: Value;
  /** Last hidden states as rows [B·L, H] (the last layer in full: a head reading a few rows should use those rows). */
  readonly hidden: Value;
  /** Last hidden states [R, H] at flat row indices `rows` [R] (b·L + l): the last layer run on those rows only. */
  hiddenAt(rows: Value): Value;
  /** Dropout with this graph's seed and a fresh site (identity when not training), for heads on top. */
  dropout(x: Value, p: number): Value;
  /** Pooled first token [B, H] (BERT: tanh(dense(h[:, 0]))). Capability `pooled`. */
  pooled(): Value;
  /** The answer head's transform [N, H] at flat row indices `positions` [N] (BERT: dense → act → LayerNorm). Capability `mlm`. */
  mlmTransform(positions: Value): Value;
  /** Scores of vocabulary ids [N, V] at flat row indices `positions` [N] (b·L + l), or [N, K] for ids [K]. Capability `mlm`. */
  mlmLogits(positions: Value, vocabIds?: Value): Value;
  /** Scores of vocabulary ids [B, L, V] at every position (a fill-mask head). Capability `mlm`. */
  mlmLogitsAll(): Value;
}

/** The sizes of a backbone that methods shape their own parameters by. */
export interface BackboneSizes {
  /** Width of hidden states and word embeddings. */
  hiddenSize: number;
  /** Encoder layers (the rows of a full prefix: two per layer). */
  layers: number;
  /** Attention heads (hiddenSize / heads per head). */
  heads: number;
  vocabSize: number;
  /** Longest input in tokens, a prefix included (positions it has embeddings for). */
  maxPositions: number;
  /** Dropout of hidden states, which a prefix encoder applies too. */
  hiddenDropout: number;
  /** Dropout before a classification head. */
  classifierDropout: number;
}

/**
 * One architecture behind the seam, made from its config. Everything a method needs from a model goes through
 * here or through {@link EncoderGraph}; what only the architecture's own code reads stays in its config.
 */
export interface Backbone<Config = unknown> {
  /** `config.json`'s `model_type` (e.g. `bert`). */
  readonly type: string;
  /** The architecture's own config, as its folder reads and writes it. */
  readonly config: Config;
  readonly sizes: BackboneSizes;
  readonly capabilities: ReadonlySet<Capability>;
  /** Canonical name of the word-embedding table [V, H] (soft prompts start from its rows). */
  readonly wordEmbeddings: string;
  /** The [V, H] matrix whose rows score vocabulary ids at an answer slot (tied: the word embeddings). Capability `mlm`. */
  answerEmbeddings(weights: TensorMap): HostTensor;
  /** Build the encoder into `g`, its weights taken from `param`. */
  encoder(g: Graph, param: ParamSource, opts: EncoderOptions): EncoderGraph;
  /** A new tensor of a method's own (a head, a prompt) initialised as the architecture initialises its weights. */
  initTensor(name: string, shape: number[], rng: Rng): HostTensor;
  /** The masked-LM training step of one shape: every weight trainable, dropout on. Capability `mlm`. */
  mlmTrainStep(weights: TensorMap, rows: number, length: number, capacity: number): Promise<GradientStep>;
  /** Read a weights file to canonical names, checked against the config. */
  loadWeights(path: string, opts: { seed?: number }): Promise<LoadedWeights>;
  /** The config as `config.json` content. */
  configJson(): Record<string, unknown>;
  /** Scoring, generating and learning target strings; present exactly with capability `text-to-text`. */
  readonly textToText?: TextToText;
}

/**
 * Refuse a model whose backbone lacks one of `needs`, before any training.
 * @throws InputError naming the folder's `config.json` and `model_type`, what is missing and `who` needs it.
 */
export function requireCapabilities(model: { dir: string; backbone: Backbone }, needs: readonly Capability[], who: string): void {
  const missing = needs.filter((c) => !model.backbone.capabilities.has(c));
  if (!missing.length) return;
  throw new InputError(
    `a ${model.backbone.type} model has no ${missing.map((c) => CAPABILITY_TEXT[c]).join(" and no ")}, which ${who} needs`,
    { file: `${model.dir}/config.json`, field: "model_type" },
  );
}
