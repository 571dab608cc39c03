/**
 * P-tuning v2 (THUDM/P-tuning-v2, `BertPrefixForSequenceClassification`; `../shared/docs/methods.md` §2):
 * trained key/value prefixes in every layer of a frozen BERT, read out by the pooled-[CLS] classifier head.
 *
 * Prefix encoder: a table [P, layers·2·H], or with `prefixProjection` a table [P, H] → Linear(H, 512) → tanh →
 * Linear(512, layers·2·H); reshaped to [P, 2·layers, heads, d], dropout(hidden_dropout_prob) in training,
 * permuted to the [2·layers, B, heads, P, d] of the BERT `prefix` hook. It is computed in the graph from its
 * parameters, so one backward pass gives their gradients. Every BERT weight is a graph constant (frozen);
 * BERT's dropout stays on in training, as in the reference.
 *
 * Two knobs walk the article's ladder back towards the soft prompt, one option each: `prefixDepth` (every
 * layer, a list of layers, or `input`: P vectors at the input embeddings) and `head` (`cls`, or `mask`: label
 * words at a `[MASK]` after the text through the frozen MLM head, the soft-prompt method's reading). A `mask`
 * head runs as a prompt pattern (`soft_prompt/pattern.ts`); the defaults keep the classifier path as it was.
 */
import type { InputKind, Row } from "../../data/types.ts";
import type { Graph, Value } from "../../engine/graph.ts";
import * as op from "../../engine/ops.ts";
import { dropout, linear } from "../../engine/layers.ts";
import { type Backbone, type ParamSource, requireCapabilities } from "../../model/backbone.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { notesFor } from "../../model/weights.ts";
import { LOOP_DEFAULTS, type LoopOptions } from "../../train/loop.ts";
import { InputError } from "../../util/errors.ts";
import { Rng } from "../../util/rng.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { checkSavedHead, initHead } from "./head.ts";
import { ClassifierPredictor, fitClassifier, savedInputs } from "./fit.ts";
import { loadMethod } from "../saved.ts";
import { checkLoopOptions, checkOption, rowsInputKind } from "../checks.ts";
import { CI_LOOP, DEMO_LOOP, TEST_LOOP } from "../loop_presets.ts";
import type { FitOptions, Method, MethodFactory } from "../types.ts";
import { expandSoftSlot, parseTemplate, SOFT_SLOT } from "../pet/template.ts";
import { checkMultipleChoice, headClasses, type MultipleChoiceOption } from "./choices.ts";
import { buildVerbalizer, type Verbalizer, type VerbalizerSpec } from "../pet/verbalizer.ts";
import { fitPattern, PatternPredictor, PromptPattern } from "../soft_prompt/pattern.ts";
import { initPrompt, promptShapes } from "../soft_prompt/prompt.ts";

/** Options of P-tuning v2: the loop's plus the prefix encoder's, input length and evaluation batch size. */
export interface PtuningV2Options extends LoopOptions, MultipleChoiceOption {
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
  /**
   * Where the prompt goes: `all` layers' keys/values (P-tuning v2), a list of layer indices (ascending; a
   * string `"0,3"` from the command line), or `input`: P vectors at the input embeddings right after [CLS],
   * as the soft-prompt method's (with `head: "mask"` only).
   */
  prefixDepth: "all" | "input" | number[] | string;
  /** `cls`: a linear head on the pooled [CLS]; `mask`: the verbalizer's words at a `[MASK]` after the text. */
  head: "cls" | "mask";
  /** Label words of `head: "mask"` (words per label or a PET preset name such as `good-bad`); empty with `cls`. */
  verbalizer: VerbalizerSpec | string;
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
  prefixDepth: "all",
  head: "cls",
  verbalizer: "",
  multipleChoice: false,
};

/** Learning rate used with `prefixProjection` when none is given (the reference's MLP runs use ~1e-4). */
export const PROJECTION_LR = 1e-4;

/** Parameter names, as the reference's `prefix_encoder` module names them. */
export const PREFIX_TABLE = "prefix_encoder.embedding.weight";
const MLP = [
  "prefix_encoder.trans.0.weight",
  "prefix_encoder.trans.0.bias",
  "prefix_encoder.trans.2.weight",
  "prefix_encoder.trans.2.bias",
];

/** A dropout site no BERT layer uses, so the prefix mask is independent of theirs. */
const PREFIX_SITE = 1 << 20;

type PrefixShape = Pick<PtuningV2Options, "prefixLength" | "prefixProjection" | "prefixHiddenSize"> & {
  /** Layers with a prefix; absent: every layer. */
  prefixLayers?: readonly number[];
};

/** How many layers a prefix of `o` feeds. */
const prefixedLayers = (backbone: Backbone, o: PrefixShape) => o.prefixLayers?.length ?? backbone.sizes.layers;

/** Shapes of the prefix encoder's parameters for `backbone`. */
function prefixShapes(backbone: Backbone, o: PrefixShape): Map<string, number[]> {
  const H = backbone.sizes.hiddenSize, out = prefixedLayers(backbone, o) * 2 * H, P = o.prefixLength;
  if (!o.prefixProjection) return new Map([[PREFIX_TABLE, [P, out]]]);
  const M = o.prefixHiddenSize;
  return new Map([[PREFIX_TABLE, [P, H]], [MLP[0], [M, H]], [MLP[1], [M]], [MLP[2], [out, M]], [MLP[3], [out]]]);
}

/**
 * A fresh prefix encoder: weights N(0, initializer_range), biases 0. The reference's `nn.Embedding` would
 * start at N(0, 1), but its models come from `from_pretrained`, which re-initialises every weight missing
 * from the checkpoint with `_init_weights`, i.e. N(0, initializer_range); that is what the reference trains.
 */
export function initPrefix(backbone: Backbone, o: PrefixShape, seed: number): TensorMap {
  const rng = new Rng(seed).fork("prefix");
  return new Map([...prefixShapes(backbone, o)].map(([n, shape]) => [n, backbone.initTensor(n, shape, rng)]));
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
export function prefixValue(backbone: Backbone, param: ParamSource, o: PrefixShape, batch: number, dropoutSeed?: Value): Value {
  const layers2 = 2 * prefixedLayers(backbone, o), heads = backbone.sizes.heads;
  const d = backbone.sizes.hiddenSize / heads, P = o.prefixLength;
  let x = op.reshape(prefixTable(param, o), [1, P, layers2, heads, d]);
  if (dropoutSeed) {
    x = dropout(op.expand(x, [batch, P, layers2, heads, d]), backbone.sizes.hiddenDropout, dropoutSeed, PREFIX_SITE);
  }
  return op.transpose(x, [2, 0, 3, 1, 4]);
}

/** The predictor of a trained prefix and head on the frozen `model`, trained on `inputs` where known. */
function prefixPredictor(model: ModelFolder, labels: readonly string[], trained: TensorMap, r: Resolved, inputs: InputKind | undefined) {
  const shape = { ...r.o, prefixLayers: r.layers };
  return new ClassifierPredictor(model, labels, ptuningV2.name, r.o, trained, inputs, (_g, backbone, param) => ({
    prefix: prefixValue(backbone, param, shape, 1),
    prefixLayers: r.layers,
  }));
}

/** The input-layer soft prompt of `prefixDepth: "input"`: the soft-prompt method's, P vectors, no encoder. */
const inputPrompt = (backbone: Backbone, o: PtuningV2Options) =>
  ({ promptLength: o.prefixLength, promptEncoder: "none", encoderHiddenSize: backbone.sizes.hiddenSize, initWords: "" }) as const;

/**
 * A `mask` head's pattern on `weights`: a `[MASK]` after the text (before `{text_b}` of a pair), with P soft
 * slots right after [CLS] at `input` depth, else the prefix in its layers.
 */
function maskPattern(model: ModelFolder, weights: TensorMap, trained: TensorMap, r: Resolved, inputs: InputKind): PromptPattern {
  const { o, layers, verbalizer } = r, input = o.prefixDepth === "input";
  const source = `${input ? SOFT_SLOT : ""}{text}[MASK]${inputs === "pair" ? "{text_b}" : ""}`;
  const parsed = parseTemplate(source, { softSlots: true });
  const template = input ? expandSoftSlot(parsed, o.prefixLength) : parsed;
  const shape = { ...o, prefixLayers: layers };
  const prefix = input ? undefined : {
    build: (_g: Graph, param: ParamSource, batch: number, seed?: Value) => prefixValue(model.backbone, param, shape, batch, seed),
    layers,
  };
  return new PromptPattern(
    model,
    template,
    verbalizer!,
    weights,
    (n) => trained.has(n),
    { ...o, ...inputPrompt(model.backbone, o) },
    prefix,
  );
}

/** The parameters a run of `r` starts from. */
function initTrained(model: ModelFolder, labels: readonly string[], r: Resolved): TensorMap {
  const { o } = r;
  if (o.prefixDepth === "input") return initPrompt(model, inputPrompt(model.backbone, o), o.seed);
  const prefix = initPrefix(model.backbone, { ...o, prefixLayers: r.layers }, o.seed);
  return o.head === "mask" ? prefix : new Map([...prefix, ...initHead(model.backbone, headClasses(labels, o), o.seed)]);
}

class PtuningV2 implements Method {
  readonly name = ptuningV2.name;

  constructor(
    private readonly model: ModelFolder,
    private readonly labels: readonly string[],
    private readonly r: Resolved,
    private readonly inputs: InputKind,
  ) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels, r } = this, o = r.o;
    const trained = initTrained(model, labels, r);
    // The model's tensors are shared, not copied: frozen ones become graph constants and are never written.
    const weights = new Map([...model.weights, ...trained]);
    if (o.head === "mask") {
      const pattern = maskPattern(model, weights, trained, r, this.inputs);
      const record = await fitPattern(this.name, pattern, trained, { train, dev, labels }, r.notes, onProgress);
      return { predictor: new PatternPredictor(labels, pattern, trained, this.name, o), record };
    }
    // One kind of input throughout; the predictor records it.
    const inputs = rowsInputKind({ train, dev });
    const predictor = prefixPredictor(model, labels, trained, r, inputs);
    const fit = { method: this.name, model, labels, options: o, notes: r.notes, predictor };
    const shape = { ...o, prefixLayers: r.layers };
    const record = await fitClassifier(
      {
        ...fit,
        weights,
        params: trained,
        isTrainable: (name) => trained.has(name),
        prefix: (_g, param, batch, seed) => prefixValue(model.backbone, param, shape, batch, seed),
        prefixLayers: r.layers,
      },
      train,
      dev,
      onProgress,
    );
    return { predictor, record };
  }
}

/** Options resolved for a model: the layers a deep prefix feeds (absent: every layer), the verbalizer of a `mask` head. */
interface Resolved {
  o: PtuningV2Options;
  layers?: number[];
  verbalizer?: Verbalizer;
  notes: string[];
}

/**
 * The layers of a `prefixDepth` list (or of its comma-separated string); undefined for `all` and `input`.
 * @throws InputError naming `prefixDepth`: anything else, or layers not ascending within the model's.
 */
export function depthLayers(depth: unknown, layers: number): number[] | undefined {
  if (depth === "all" || depth === "input") return undefined;
  const list = typeof depth === "string" && /^\d+(,\d+)*$/.test(depth) ? depth.split(",").map(Number) : depth;
  const ok = Array.isArray(list) && list.length > 0 &&
    list.every((l, i) => Number.isInteger(l) && l >= 0 && l < layers && (i === 0 || l > list[i - 1]));
  if (!ok) {
    throw new InputError(
      `must be "all", "input" or ascending layer indices in [0, ${layers - 1}] (like "0,${layers - 1}"), got ${JSON.stringify(depth)}`,
      {
        field: "prefixDepth",
      },
    );
  }
  return list as number[];
}

/** Resolve and validate options for `model` (see {@link PtuningV2Options.maxLength}); notes say what was derived. */
function resolveOptions(model: ModelFolder, labels: readonly string[], options: Partial<PtuningV2Options>): Resolved {
  const positions = model.backbone.sizes.maxPositions;
  const o = { ...PTUNING_V2_DEFAULTS, ...options };
  const notes: string[] = [];
  checkOption("prefixLength", o.prefixLength, (v) => Number.isInteger(v) && v >= 1 && v <= 128, "an integer in [1, 128]");
  checkOption("prefixHiddenSize", o.prefixHiddenSize, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  const layers = depthLayers(o.prefixDepth, model.backbone.sizes.layers);
  const deep = o.prefixDepth !== "input";
  if (o.head !== "cls" && o.head !== "mask") {
    throw new InputError(`must be "cls" or "mask", got ${JSON.stringify(o.head)}`, { field: "head" });
  }
  if (o.head === "mask" && !o.verbalizer) {
    throw new InputError(`head "mask" reads label words at [MASK]: give verbalizer (words per label or a preset such as good-bad)`, {
      field: "verbalizer",
    });
  }
  if (o.head === "cls" && o.verbalizer) {
    throw new InputError(`label words are read by head "mask" only, and head is "cls"`, { field: "verbalizer" });
  }
  if (!deep && o.head === "cls") {
    throw new InputError(`"input" (a soft prompt at the input embeddings) is read at [MASK]: use head "mask"`, { field: "prefixDepth" });
  }
  checkMultipleChoice(o);
  if (o.multipleChoice && o.head !== "cls") {
    throw new InputError(`multiple choice is scored by head "cls" (one logit per candidate), and head is "${o.head}"`, { field: "head" });
  }
  if (!deep && o.prefixProjection) {
    throw new InputError(`reparameterises deep prefixes; the input-layer soft prompt has none`, { field: "prefixProjection" });
  }
  requireCapabilities(model, [deep ? "prefix" : "soft-input", o.head === "cls" ? "pooled" : "mlm"], ptuningV2.name);
  if (deep && options.maxLength === undefined && o.prefixLength + o.maxLength > positions) {
    o.maxLength = positions - o.prefixLength;
    notes.push(`maxLength ${o.maxLength}: prefix ${o.prefixLength} and input share the ${positions} positions`);
  }
  if (options.lr === undefined && o.prefixProjection) o.lr = PROJECTION_LR;
  checkLoopOptions(o, positions);
  if (deep && o.prefixLength + o.maxLength > positions) {
    throw new InputError(
      `prefix ${o.prefixLength} + maxLength ${o.maxLength} exceed the model's ${positions} position embeddings; ` +
        `use maxLength ≤ ${positions - o.prefixLength} or a shorter prefix`,
      { field: "prefixLength" },
    );
  }
  if (o.head === "mask") {
    const verbalizer = buildVerbalizer(model.tokenizer, labels, o.verbalizer);
    return { o: { ...o, verbalizer: verbalizer.spec }, layers, verbalizer, notes: [...notesFor(model, "mlm-head"), ...notes] };
  }
  if (model.poolerInitialized) {
    notes.push("P-tuning v2 keeps that random pooler frozen: the head reads a fixed random projection of [CLS]");
  }
  return { o, layers, notes: [...notesFor(model, "pooler"), ...notes] };
}

/** Registry entry of P-tuning v2. */
export const ptuningV2: MethodFactory<PtuningV2Options> = {
  name: "ptuning-v2",
  summary: "P-tuning v2: trained key/value prefixes in every layer (prefixDepth) and a [CLS] head (head: cls or mask); BERT frozen",
  kind: "continuous",
  trains: "weights",
  display: { name: "P-tuning v2", colour: "#54a24b" },
  presets: {
    ci: CI_LOOP,
    test: { ...TEST_LOOP, prefixLength: 4 },
    demo: { ...DEMO_LOOP, steps: 100, prefixLength: 8 },
    compare: { ci: { prefixLength: 4 }, full: { prefixLength: 8 } },
    choices: { multipleChoice: true },
  },
  sweeps: [{
    param: "prefixLength",
    figure: "prefix_length",
    title: "P-tuning v2: accuracy vs prefix length",
    axisTitle: "prefix length (virtual tokens per layer)",
  }],
  defaults: PTUNING_V2_DEFAULTS,
  create(model, labels, options = {}, inputs = "text") {
    return new PtuningV2(model, labels, resolveOptions(model, labels, options), inputs);
  },
  async load(dir, model) {
    const { meta, tensors } = await loadMethod<PtuningV2Options>(dir, ptuningV2.name, model);
    // Predictors saved before the depth and head knobs have neither: every layer, [CLS].
    const r = resolveOptions(model, meta.labels, { ...PTUNING_V2_DEFAULTS, ...meta.options });
    if (r.o.head === "cls") {
      const classes = headClasses(meta.labels, r.o);
      checkSavedHead(tensors, model.backbone, meta.labels, `${dir}/weights.safetensors`, `${dir}/method.json`, classes);
    }
    const shapes = r.o.prefixDepth === "input"
      ? promptShapes(model.backbone.sizes.hiddenSize, inputPrompt(model.backbone, r.o))
      : prefixShapes(model.backbone, { ...r.o, prefixLayers: r.layers });
    for (const [name, shape] of shapes) {
      const t = tensors.get(name);
      if (!t || t.shape.join() !== shape.join()) {
        throw new InputError(`prefix tensor ${name} is [${t?.shape ?? "missing"}], this model needs [${shape}]`, {
          file: `${dir}/weights.safetensors`,
        });
      }
    }
    const inputs = savedInputs(meta, dir);
    if (r.o.head === "cls") return prefixPredictor(model, meta.labels, tensors, r, inputs);
    return new PatternPredictor(
      meta.labels,
      maskPattern(model, new Map([...model.weights, ...tensors]), tensors, r, inputs ?? "text"),
      tensors,
      ptuningV2.name,
      r.o,
    );
  },
};
