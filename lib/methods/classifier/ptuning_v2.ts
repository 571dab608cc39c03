/**
 * P-tuning v2 (THUDM/P-tuning-v2, `BertPrefixForSequenceClassification`; `../shared/docs/methods.md` §2):
 * trained key/value prefixes in every layer of a frozen BERT, read out by the pooled-[CLS] classifier head.
 *
 * Prefix encoder: a table [P, layers·2·H], or with `prefixProjection` a table [P, H] → Linear(H, 512) → tanh →
 * Linear(512, layers·2·H); reshaped to [P, 2·layers, heads, d], dropout(hidden_dropout_prob) in training,
 * permuted to the [2·layers, B, heads, P, d] of the BERT `prefix` hook. It is computed in the graph from its
 * parameters, so one backward pass gives their gradients. Every BERT weight is a graph constant (frozen);
 * BERT's dropout stays on in training, as in the reference.
 */
import type { InputKind, Row } from "../../data/types.ts";
import type { Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import { dropout, linear } from "../../engine/layers.ts";
import type { ParamSource } from "../../model/bert.ts";
import type { BertConfig } from "../../model/config.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { initTensor, notesFor } from "../../model/weights.ts";
import { LOOP_DEFAULTS, type LoopOptions } from "../../train/loop.ts";
import { InputError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { initHead } from "./head.ts";
import { ClassifierPredictor, fitClassifier, loadClassifier, savedInputs } from "./fit.ts";
import { checkLoopOptions, checkOption, rowsInputKind } from "../checks.ts";
import { CI_LOOP, DEMO_LOOP, TEST_LOOP } from "../loop_presets.ts";
import type { FitOptions, Method, MethodFactory } from "../types.ts";

/** Options of P-tuning v2: the loop's plus the prefix encoder's, input length and evaluation batch size. */
export interface PtuningV2Options extends LoopOptions {
  /** Prefix length P (the reference's `pre_seq_len`), 1..128. */
  prefixLength: number;
  /** Reparameterise the prefix through a two-layer tanh MLP (the reference's `prefix_projection`). */
  prefixProjection: boolean;
  /** Hidden width of that MLP (the reference's `prefix_hidden_size`). */
  prefixHiddenSize: number;
  /**
   * Longest input in tokens, [CLS] and [SEP] included. Prefix and input share the position table, so when not
   * given it is capped at `max_position_embeddings - prefixLength`.
   */
  maxLength: number;
  evalBatchSize: number;
}

/**
 * Defaults from the reference runs (§2): AdamW lr 5e-3, weight decay 0, no warmup, linear decay, clip 1.0,
 * prefix 4, inputs of 128 tokens. Steps: the reference trains 20..120 epochs; 10 epochs with a floor of 300
 * steps of 16 (~150 epochs of a 32-example FewCLUE train set), with best-on-dev selection every 50.
 */
export const PTUNING_V2_DEFAULTS: PtuningV2Options = {
  ...LOOP_DEFAULTS,
  lr: 5e-3,
  weightDecay: 0,
  warmupRatio: 0,
  maxGradNorm: 1,
  minSteps: 300,
  evalEvery: 50,
  prefixLength: 4,
  prefixProjection: false,
  prefixHiddenSize: 512,
  maxLength: 128,
  evalBatchSize: 32,
};

/** Learning rate used with `prefixProjection` when none is given (the reference's MLP runs use ~1e-4). */
export const PROJECTION_LR = 1e-4;

/** Parameter names, as the reference's `prefix_encoder` module names them. */
export const PREFIX_TABLE = "prefix_encoder.embedding.weight";
const MLP = ["prefix_encoder.trans.0.weight", "prefix_encoder.trans.0.bias", "prefix_encoder.trans.2.weight", "prefix_encoder.trans.2.bias"];

/** A dropout site no BERT layer uses, so the prefix mask is independent of theirs. */
const PREFIX_SITE = 1 << 20;

type PrefixShape = Pick<PtuningV2Options, "prefixLength" | "prefixProjection" | "prefixHiddenSize">;

/** Shapes of the prefix encoder's parameters for `config`. */
function prefixShapes(config: BertConfig, o: PrefixShape): Map<string, number[]> {
  const H = config.hidden_size, out = config.num_hidden_layers * 2 * H, P = o.prefixLength;
  if (!o.prefixProjection) return new Map([[PREFIX_TABLE, [P, out]]]);
  const M = o.prefixHiddenSize;
  return new Map([[PREFIX_TABLE, [P, H]], [MLP[0], [M, H]], [MLP[1], [M]], [MLP[2], [out, M]], [MLP[3], [out]]]);
}

/**
 * A fresh prefix encoder: weights N(0, initializer_range), biases 0. The reference's `nn.Embedding` would
 * start at N(0, 1), but its models come from `from_pretrained`, which re-initialises every weight missing
 * from the checkpoint with `_init_weights`, i.e. N(0, initializer_range); that is what the reference trains.
 */
export function initPrefix(config: BertConfig, o: PrefixShape, seed: number): TensorMap {
  const rng = new Rng(seed).fork("prefix");
  return new Map([...prefixShapes(config, o)].map(([n, shape]) => [n, initTensor(n, shape, config, rng)]));
}

/** The prefix as a table [P, layers·2·H] (row p: every layer's key then value of position p), before dropout. */
export function prefixTable(param: ParamSource, o: PrefixShape): Value {
  const kv = param(PREFIX_TABLE);
  return o.prefixProjection ? linear(op.tanh(linear(kv, param(MLP[0]), param(MLP[1]))), param(MLP[2]), param(MLP[3])) : kv;
}

/**
 * The prefix keys/values [2·layers, B, heads, P, d] computed from the encoder's parameters. Without
 * `dropoutSeed` (evaluation) B is 1, shared by the batch; with it each of the `batch` rows draws its own
 * dropout mask, as the reference's per-example copies do.
 */
export function prefixValue(config: BertConfig, param: ParamSource, o: PrefixShape, batch: number, dropoutSeed?: Value): Value {
  const layers2 = 2 * config.num_hidden_layers, heads = config.num_attention_heads;
  const d = config.hidden_size / heads, P = o.prefixLength;
  let x = op.reshape(prefixTable(param, o), [1, P, layers2, heads, d]);
  if (dropoutSeed) {
    x = dropout(op.expand(x, [batch, P, layers2, heads, d]), config.hidden_dropout_prob, dropoutSeed, PREFIX_SITE);
  }
  return op.transpose(x, [2, 0, 3, 1, 4]);
}

/** The predictor of a trained prefix and head on the frozen `model`, trained on `inputs` where known. */
function prefixPredictor(model: ModelFolder, labels: readonly string[], trained: TensorMap, o: PtuningV2Options, inputs: InputKind | undefined) {
  return new ClassifierPredictor(model, labels, ptuningV2.name, o, trained, inputs, (_g, config, param) => ({
    prefix: prefixValue(config, param, o, 1),
  }));
}

class PtuningV2 implements Method {
  readonly name = ptuningV2.name;

  constructor(
    private readonly model: ModelFolder,
    private readonly labels: readonly string[],
    private readonly options: PtuningV2Options,
    private readonly notes: string[],
  ) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels, options: o } = this;
    // One kind of input throughout; the predictor records it.
    const inputs = rowsInputKind({ train, dev });
    const trained: TensorMap = new Map([...initPrefix(model.config, o, o.seed), ...initHead(model.config, labels.length, o.seed)]);
    const predictor = prefixPredictor(model, labels, trained, o, inputs);
    const fit = { method: this.name, model, labels, options: o, notes: this.notes, predictor };
    const record = await fitClassifier({
      ...fit,
      // The model's tensors are shared, not copied: frozen ones become graph constants and are never written.
      weights: new Map([...model.weights, ...trained]),
      params: trained,
      isTrainable: (name) => trained.has(name),
      prefix: (_g, param, batch, seed) => prefixValue(model.config, param, o, batch, seed),
    }, train, dev, onProgress);
    return { predictor, record };
  }
}

/** Resolve and validate options for `model` (see {@link PtuningV2Options.maxLength}); notes say what was derived. */
function resolveOptions(model: ModelFolder, options: Partial<PtuningV2Options>): { o: PtuningV2Options; notes: string[] } {
  const positions = model.config.max_position_embeddings;
  const o = { ...PTUNING_V2_DEFAULTS, ...options };
  const notes: string[] = [];
  checkOption("prefixLength", o.prefixLength, (v) => Number.isInteger(v) && v >= 1 && v <= 128, "an integer in [1, 128]");
  checkOption("prefixHiddenSize", o.prefixHiddenSize, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  if (options.maxLength === undefined && o.prefixLength + o.maxLength > positions) {
    o.maxLength = positions - o.prefixLength;
    notes.push(`maxLength ${o.maxLength}: prefix ${o.prefixLength} and input share the ${positions} positions`);
  }
  if (options.lr === undefined && o.prefixProjection) o.lr = PROJECTION_LR;
  checkLoopOptions(o, positions);
  if (o.prefixLength + o.maxLength > positions) {
    throw new InputError(
      `prefix ${o.prefixLength} + maxLength ${o.maxLength} exceed the model's ${positions} position embeddings; ` +
        `use maxLength ≤ ${positions - o.prefixLength} or a shorter prefix`,
      { field: "prefixLength" },
    );
  }
  if (model.poolerInitialized) {
    notes.push("P-tuning v2 keeps that random pooler frozen: the head reads a fixed random projection of [CLS]");
  }
  return { o, notes: [...notesFor(model, "pooler"), ...notes] };
}

/** Registry entry of P-tuning v2. */
export const ptuningV2: MethodFactory<PtuningV2Options> = {
  name: "ptuning-v2",
  summary: "P-tuning v2: trained key/value prefixes in every layer and a [CLS] head; BERT frozen",
  kind: "continuous",
  trains: "weights",
  display: { name: "P-tuning v2", colour: "#54a24b" },
  presets: {
    ci: CI_LOOP,
    test: { ...TEST_LOOP, prefixLength: 4 },
    demo: { ...DEMO_LOOP, steps: 100, prefixLength: 8 },
    compare: { ci: { prefixLength: 4 }, full: { prefixLength: 8 } },
  },
  sweeps: [{ param: "prefixLength", figure: "prefix_length", title: "P-tuning v2: accuracy vs prefix length", axisTitle: "prefix length (virtual tokens per layer)" }],
  defaults: PTUNING_V2_DEFAULTS,
  create(model, labels, options = {}) {
    const { o, notes } = resolveOptions(model, options);
    return new PtuningV2(model, labels, o, notes);
  },
  async load(dir, model) {
    const { meta, tensors } = await loadClassifier<PtuningV2Options>(dir, ptuningV2.name, model);
    for (const [name, shape] of prefixShapes(model.config, meta.options)) {
      const t = tensors.get(name);
      if (!t || t.shape.join() !== shape.join()) {
        throw new InputError(`prefix tensor ${name} is [${t?.shape ?? "missing"}], this model needs [${shape}]`, {
          file: `${dir}/weights.safetensors`,
        });
      }
    }
    return prefixPredictor(model, meta.labels, tensors, meta.options, savedInputs(meta, dir));
  },
};
