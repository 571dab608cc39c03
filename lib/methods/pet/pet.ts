/**
 * PET (Schick & Schütze): classify by what the MLM predicts at a `[MASK]` slot of a template, mapped to labels
 * by a verbalizer (`template.ts`, `verbalizer.ts`; scoring rule in `docs/pet.md`). `zero-shot` uses the
 * pretrained model as is; `finetune` is prompt-based fine-tuning (PET's pattern models, LM-BFF): every
 * parameter trained with cross-entropy over the verbalizer's class scores. Several patterns form an
 * ensemble whose class probabilities are averaged (each pattern trained on its own copy of the model).
 *
 * @example
 * ```ts
 * const pet = getMethod("pet").create(model, task.labels, { mode: "zero-shot", template: "{text}总之很[MASK]。",
 *   verbalizer: "good-bad" });
 * const { predictor } = await pet.fit(train, dev);
 * ```
 * @module
 */
import type { InputKind, Row } from "../../data/types.ts";
import { Graph } from "../../engine/graph.ts";
import { crossEntropy } from "../../engine/layers.ts";
import { feedsFor, SessionCache } from "../../engine/session.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { requireCapabilities } from "../../model/backbone.ts";
import { notesFor } from "../../model/weights.ts";
import { GraphParams } from "../../model/params.ts";
import { LOOP_DEFAULTS, type LoopOptions } from "../../train/loop.ts";
import { InputError } from "../../util/errors.ts";
import type { TensorMap } from "../../util/tensor.ts";
import type { TensorData } from "../../engine/graph.ts";
import { CANDIDATES } from "./choice_scores.ts";
import { encodeReadout, readoutFeeds, resolveVerbalizer, verbalizerSource } from "./mask_readout.ts";
import { patternScores } from "./pattern_scores.ts";
import { type TextInput, type TokenBatch, tokenFeeds, type TokenSeq } from "../../model/batch.ts";
import { fitSupervised } from "../supervised_fit.ts";
import { AuxMlm } from "./aux_mlm.ts";
import { unlabeledRows } from "../../data/unlabeled.ts";
import { checkTemplateInputs, templateInputs } from "../prompt_inputs.ts";
import { checkLoopOptions, checkOption, labelIndices } from "../checks.ts";
import { CI_LOOP, DEMO_LOOP, TEST_LOOP } from "../loop_presets.ts";
import { accuracyOf, predictBatches } from "../predict.ts";
import { loadMethod, saveMethod } from "../saved.ts";
import { resolveTemplate, type Template, templateOverhead } from "./template.ts";
import type { Verbalizer, VerbalizerSpec } from "./verbalizer.ts";
import { calibrate, CONTENT_FREE_INPUTS, contentFreeBias } from "./calibration.ts";
import {
  type FitOptions,
  type Method,
  type MethodFactory,
  type Predictor,
  type Readings,
  type TrainRecord,
  untrainedRecord,
} from "../types.ts";

/** A pattern-verbalizer pair: a template (string or preset name) and a verbalizer (words or preset name). */
export interface PetPattern {
  template: string;
  verbalizer: VerbalizerSpec | string;
}

/** Options of PET: the loop's (used by `finetune`), the pattern(s), the mode, input length, eval batch. */
export interface PetOptions extends LoopOptions {
  /** `zero-shot`: no training; `finetune`: prompt-based fine-tuning of every parameter. */
  mode: "zero-shot" | "finetune";
  /** Template string or preset name (`TEMPLATE_PRESETS`); ignored when `patterns` is given. */
  template: string;
  /** Verbalizer words or preset name (`VERBALIZER_PRESETS`); ignored when `patterns` is given. */
  verbalizer: VerbalizerSpec | string;
  /** Several pattern-verbalizer pairs: an ensemble averaging their class probabilities. */
  patterns?: PetPattern[];
  /** Longest input in tokens, [CLS], [SEP], template and masks included. */
  maxLength: number;
  evalBatchSize: number;
  /**
   * PET's auxiliary masked-LM loss on unlabelled text (`finetune` mode): α·CE + (1 − α)·MLM, with the texts
   * given or the unlabelled texts of a registered dataset (decontaminated, through the data mirror or cache).
   */
  auxMlm?: { alpha: number; batchSize: number; texts?: TextInput[]; dataset?: string } | null;
  /**
   * Contextual calibration (`calibration.ts`): divide each pattern's class probabilities by those of
   * content-free inputs, estimated after training with the final weights and saved with the predictor.
   */
  calibrate: boolean;
}

/**
 * Defaults: PET's pattern-model training (lr 1e-5, AdamW weight decay 0.01, clip 1.0, linear schedule, batch
 * 16, 10 epochs but at least 250 steps) and FewCLUE's EPRSTMT pattern `[MASK]满意。{text}` with 很/不.
 */
export const PET_DEFAULTS: PetOptions = {
  ...LOOP_DEFAULTS,
  mode: "finetune",
  template: "fewclue",
  verbalizer: "fewclue",
  maxLength: 128,
  evalBatchSize: 32,
  auxMlm: null,
  calibrate: false,
};

/** One pattern-verbalizer pair on one set of weights: encoding, eval-mode scores, the training loss graph. */
class PatternModel {
  readonly #cache = new SessionCache();
  /** p_cf of contextual calibration, divided out of every prediction; null: uncalibrated. */
  bias: readonly number[] | null = null;

  constructor(
    readonly model: ModelFolder,
    readonly template: Template,
    readonly verbalizer: Verbalizer,
    /** Weights read at each run (graph inputs), or baked into the graphs when `frozen`. */
    readonly weights: TensorMap,
    private readonly frozen: boolean,
    private readonly options: PetOptions,
  ) {}

  encode(inputs: readonly TextInput[]): { seqs: TokenSeq[]; truncated: number } {
    return encodeReadout(this.model.tokenizer, this.template, inputs, this.verbalizer, this.options.maxLength);
  }

  /** The graph inputs of a packed batch (rows `part`) beyond its tokens. */
  maskFeeds(b: TokenBatch, part: readonly TokenSeq[]): Record<string, TensorData> {
    return readoutFeeds(b, part, this.model, this.verbalizer);
  }

  /** Class probabilities of encoded sequences, calibrated when {@link bias} is set. */
  async proba(seqs: readonly TokenSeq[]): Promise<number[][]> {
    return this.calibrated(await this.rawProba(seqs));
  }

  /** `raw` probabilities calibrated when {@link bias} is set. */
  calibrated(raw: number[][]): number[][] {
    return this.bias ? calibrate(raw, this.bias) : raw;
  }

  /** Estimate {@link bias} from the content-free inputs with the current weights. */
  async estimateBias(): Promise<void> {
    // A pair template gets the content-free text in both slots.
    const inputs = CONTENT_FREE_INPUTS.map((text) => (this.template.pair ? { text, textB: text } : text));
    this.bias = contentFreeBias(await this.rawProba(this.encode(inputs).seqs));
  }

  /** Class probabilities of encoded sequences, never calibrated. */
  rawProba(seqs: readonly TokenSeq[]): Promise<number[][]> {
    const { evalBatchSize, maxLength } = this.options;
    return predictBatches(seqs, evalBatchSize, maxLength, this.verbalizer.words.length, async (b, part) => {
      const compiled = await this.#cache.get(`eval:${b.batch}:${b.seqLen}`, () => this.#build(b.batch, b.seqLen));
      const feeds = feedsFor(compiled, { ...tokenFeeds(b), ...this.maskFeeds(b, part) }, this.weights);
      return (await compiled.run(feeds)).scores as Float32Array;
    }, { softmax: true });
  }

  #build(batch: number, seqLen: number) {
    const g = new Graph();
    const { scores } = this.scores(g, new GraphParams(g, this.weights, () => !this.frozen), batch, seqLen, false);
    return { graph: g, outputs: { scores } };
  }

  /** Class scores [batch, C] of a BERT graph built into `g`, with the inputs of {@link maskFeeds}. */
  scores(g: Graph, params: GraphParams, batch: number, seqLen: number, train: boolean) {
    return { scores: patternScores(g, this.model.backbone, params, this.verbalizer, { batch, seqLen, train }), params };
  }
}

/** Predicts with one pattern or the average of several. */
class PetPredictor implements Predictor {
  constructor(readonly labels: readonly string[], readonly patterns: readonly PatternModel[], private readonly options: PetOptions) {}

  get inputs(): InputKind {
    return templateInputs(this.patterns[0].template);
  }

  async predictProba(inputs: readonly TextInput[]): Promise<number[][]> {
    return (await this.predictReadings(inputs)).proba;
  }

  /** A calibrated predictor also reads its scores uncalibrated: the same training and pass, so the pair isolates calibration. */
  async predictReadings(inputs: readonly TextInput[]): Promise<Readings> {
    const raw = await this.#raw(inputs);
    const proba = average(raw.map((r, i) => this.patterns[i].calibrated(r)));
    if (!this.patterns.some((p) => p.bias)) return { proba, variants: [] };
    return { proba, variants: [{ name: "uncalibrated", options: { calibrate: false }, proba: average(raw) }] };
  }

  /** Each pattern's raw probabilities of `inputs`. */
  async #raw(inputs: readonly TextInput[]): Promise<number[][][]> {
    const raw: number[][][] = [];
    for (const p of this.patterns) raw.push(await p.rawProba(p.encode(inputs).seqs));
    return raw;
  }

  save(dir: string): Promise<void> {
    const trained = this.options.mode === "finetune";
    const tensors: TensorMap = new Map();
    if (trained) this.patterns.forEach((p, i) => p.weights.forEach((t, n) => tensors.set(`${prefixOf(i)}${n}`, t)));
    const patterns = this.patterns.map((p) => ({
      template: p.template.source,
      verbalizer: verbalizerSource(p.verbalizer),
    }));
    // The saved p_cf, not a re-estimate, so a loaded predictor predicts exactly as this one.
    const extra = this.options.calibrate ? { calibration: this.patterns.map((p) => p.bias) } : undefined;
    const meta = { method: "pet", options: { ...this.options, patterns }, labels: [...this.labels], extra };
    return saveMethod(dir, meta, this.patterns[0].model, trained ? tensors : undefined);
  }
}

/** The mean of the patterns' class probabilities, input by input. */
function average(all: readonly number[][][]): number[][] {
  return all[0].map((row, i) => row.map((_, c) => all.reduce((s, probs) => s + probs[i][c], 0) / all.length));
}

/** Name prefix of pattern `i`'s weights in a saved ensemble. */
const prefixOf = (i: number) => `pattern${i}/`;

/**
 * The pattern list of `o`, each template parsed (and checked against the task's `inputs` when given) and
 * verbalizer checked: errors before training.
 */
function resolvePatterns(
  model: ModelFolder,
  labels: readonly string[],
  o: PetOptions,
  inputs?: InputKind,
): { template: Template; verbalizer: Verbalizer }[] {
  const given = o.patterns ?? [{ template: o.template, verbalizer: o.verbalizer }];
  if (given.length === 0) throw new InputError("must hold at least one pattern", { field: "patterns" });
  return given.map((p) => {
    const template = resolveTemplate(p.template);
    if (inputs) checkTemplateInputs(template, inputs, "{text_b}");
    const verbalizer = resolveVerbalizer(model.tokenizer, labels, p.verbalizer);
    if (verbalizer.candidates && o.calibrate) {
      throw new InputError(`calibration reads label words of content-free inputs; verbalizer "${CANDIDATES}" has none`, {
        field: "calibrate",
      });
    }
    templateOverhead(model.tokenizer, template, { maskCount: verbalizer.maskCount, maxLength: o.maxLength });
    return { template, verbalizer };
  });
}

class Pet implements Method {
  readonly name = "pet";

  constructor(
    private readonly model: ModelFolder,
    private readonly labels: readonly string[],
    private readonly options: PetOptions,
    private readonly patterns: { template: Template; verbalizer: Verbalizer }[],
  ) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels, options: o } = this;
    const start = performance.now();
    const record = untrainedRecord(this.name, notesFor(model, "mlm-head"));
    if (o.mode === "zero-shot") {
      const patterns = this.patterns.map((p) => new PatternModel(model, p.template, p.verbalizer, model.weights, true, o));
      record.notes.push("zero-shot: nothing trained");
      await calibratePatterns(patterns, labels, o, record);
      return { predictor: new PetPredictor(labels, patterns, o), record };
    }
    const gold = labelIndices(train, labels, "train"), devGold = labelIndices(dev, labels, "dev");
    const trained: PatternModel[] = [];
    for (const [i, p] of this.patterns.entries()) {
      // Train a copy: the loaded model stays as it was for the next pattern and run.
      const weights: TensorMap = new Map([...model.weights].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
      const pattern = new PatternModel(model, p.template, p.verbalizer, weights, false, o);
      const r = await trainPattern(pattern, train, gold, dev, devGold, o, onProgress);
      trained.push(pattern);
      record.trainableParams += r.trainableParams;
      record.dev.push(...r.dev.map((d) => ({ step: d.step + record.steps, accuracy: d.accuracy })));
      record.bestStep = record.steps + r.bestStep;
      record.steps += r.steps;
      record.losses.push(...r.losses);
      if (r.truncated) {
        record.notes.push(`${r.truncated} training texts truncated to fit ${o.maxLength} tokens with "${p.template.source}"`);
      }
      if (this.patterns.length > 1) record.notes.push(`pattern ${i} "${p.template.source}": kept step ${r.bestStep}`);
    }
    await calibratePatterns(trained, labels, o, record);
    record.wallSeconds = (performance.now() - start) / 1000;
    return { predictor: new PetPredictor(labels, trained, o), record };
  }
}

/** With `calibrate`, estimate each pattern's p_cf (with its final weights) and note it in the record. */
async function calibratePatterns(
  patterns: readonly PatternModel[],
  labels: readonly string[],
  o: PetOptions,
  record: TrainRecord,
): Promise<void> {
  if (!o.calibrate) return;
  for (const [i, p] of patterns.entries()) {
    await p.estimateBias();
    const bias = p.bias!.map((b, c) => `${labels[c]} ${b.toFixed(4)}`).join(", ");
    record.notes.push(`calibrated${patterns.length > 1 ? ` pattern ${i}` : ""}: content-free class probabilities ${bias}`);
  }
}

/** Prompt-based fine-tuning of one pattern's weights (in place). */
async function trainPattern(
  pattern: PatternModel,
  inputs: readonly TextInput[],
  gold: number[],
  devInputs: readonly TextInput[],
  devGold: number[],
  o: PetOptions,
  onProgress: FitOptions["onProgress"],
) {
  const enc = pattern.encode(inputs);
  const devSeqs = pattern.encode(devInputs).seqs;
  const aux = o.auxMlm
    ? new AuxMlm(pattern.model.backbone, pattern.model.tokenizer, await auxInputs(o.auxMlm), {
      ...o.auxMlm,
      maxLength: o.maxLength,
      seed: o.seed,
    })
    : undefined;
  const result = await fitSupervised(
    {
      weights: pattern.weights,
      params: pattern.weights,
      isTrainable: () => true,
      options: o,
      onProgress,
      loss: (g, params, batch, seqLen, labels) => crossEntropy(pattern.scores(g, params, batch, seqLen, true).scores, labels),
      feeds: (b, _seed, seqs) => pattern.maskFeeds(b, seqs),
      evaluate: devInputs.length ? async () => accuracyOf(await pattern.proba(devSeqs), devGold) : undefined,
      mix: aux ? (step, r) => aux.mix(pattern.weights, step, r) : undefined,
    },
    enc.seqs,
    gold,
  ).finally(() => aux?.release());
  return { ...result, truncated: enc.truncated };
}

/** The unlabelled inputs of the auxiliary objective: the texts given, or a dataset's unlabelled texts or pairs. */
async function auxInputs(a: NonNullable<PetOptions["auxMlm"]>): Promise<TextInput[]> {
  if (a.texts) return a.texts;
  const rows: TextInput[] = [];
  for await (const r of unlabeledRows(a.dataset!)) rows.push(r);
  return rows;
}

/**
 * `fn` on a saved predictor's options, its errors naming `file` (labels method.json lists without words, a
 * template that no longer fits): an option error alone would not say which file holds the option.
 */
function savedOptionsCheck<T>(fn: () => T, file: string): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof InputError) || err.location.file) throw err;
    const field = err.location.field === undefined ? "options" : `options.${err.location.field}`;
    throw new InputError(err.message.replace(/^field "[^"]*": /, ""), { file, field });
  }
}

/**
 * Refuse a saved pattern that lacks one of the model's weights or stores it in another shape (a fine-tuned pattern
 * stores all of them: anything missing would silently be the base model's, or fail deep in the graph).
 * @throws InputError naming `file` and the tensor.
 */
function checkPatternWeights(saved: TensorMap, base: TensorMap, prefix: string, file: string): void {
  for (const [name, t] of base) {
    const s = saved.get(name);
    if (!s) {
      throw new InputError("tensor missing: a fine-tuned PET pattern stores every weight of the model", {
        file,
        field: `${prefix}${name}`,
      });
    }
    if (s.shape.join() !== t.shape.join()) {
      throw new InputError(`shape [${s.shape}] stored, [${t.shape}] in the base model`, { file, field: `${prefix}${name}` });
    }
  }
}

/** Registry entry of PET. */
export const pet: MethodFactory<PetOptions> = {
  name: "pet",
  summary: "PET: template + verbalizer on the MLM head; zero-shot or prompt-based fine-tuning, pattern ensembles",
  kind: "discrete",
  trains: "weights",
  // The zero-shot series gets a dark purple, unlike any trained method's hue, so its dashed rule is not
  // mistaken for a trained curve.
  display: { name: "PET", colour: "#e45756", zeroShotColour: "#6a3d9a" },
  presets: {
    ci: CI_LOOP,
    test: { ...TEST_LOOP, lr: 1e-4, template: "{text}总之很[MASK]。", verbalizer: "good-bad" },
    demo: { ...DEMO_LOOP, lr: 5e-5 },
    pairs: { template: "pair-question", verbalizer: "yes-no" },
    choices: { template: "{text}[MASK]{text_b}", verbalizer: CANDIDATES },
    forTask: ({ template, words }) => ({ template, verbalizer: words }),
    zeroShot: { mode: "zero-shot" },
  },
  defaults: PET_DEFAULTS,
  create(model, labels, options = {}, inputs = "text") {
    const o = { ...PET_DEFAULTS, ...options };
    if (o.mode !== "zero-shot" && o.mode !== "finetune") {
      throw new InputError(`must be "zero-shot" or "finetune", got "${o.mode}"`, { field: "mode" });
    }
    checkLoopOptions(o, model.backbone.sizes.maxPositions);
    requireCapabilities(model, ["mlm"], pet.name);
    if (o.auxMlm) {
      checkOption("auxMlm.alpha", o.auxMlm.alpha, (v) => v > 0 && v <= 1, "in (0, 1]");
      checkOption("auxMlm.batchSize", o.auxMlm.batchSize, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
      if (!o.auxMlm.texts?.length && !o.auxMlm.dataset) throw new InputError("needs texts or a dataset name", { field: "auxMlm" });
      if (o.mode !== "finetune") throw new InputError(`applies to mode "finetune" only`, { field: "auxMlm" });
    }
    if (typeof o.calibrate !== "boolean") {
      throw new InputError(`must be true or false, got ${JSON.stringify(o.calibrate)}`, { field: "calibrate" });
    }
    return new Pet(model, labels, o, resolvePatterns(model, labels, o, inputs));
  },
  async load(dir, model) {
    requireCapabilities(model, ["mlm"], pet.name);
    const { meta, tensors } = await loadMethod<PetOptions>(dir, pet.name, model);
    // Predictors saved before calibration existed have no `calibrate` option.
    const o = { ...meta.options, calibrate: meta.options.calibrate ?? false };
    const resolved = savedOptionsCheck(() => resolvePatterns(model, meta.labels, o), `${dir}/method.json`);
    const biases = savedBiases(meta.extra, o, meta.labels.length, resolved.length, `${dir}/method.json`);
    const patterns = resolved.map(({ template, verbalizer }, i) => {
      let weights = model.weights;
      if (tensors.size) {
        weights = new Map();
        for (const [n, t] of tensors) if (n.startsWith(prefixOf(i))) weights.set(n.slice(prefixOf(i).length), t);
        checkPatternWeights(weights, model.weights, prefixOf(i), `${dir}/weights.safetensors`);
      }
      const pattern = new PatternModel(model, template, verbalizer, weights, !tensors.size, o);
      pattern.bias = biases?.[i] ?? null;
      return pattern;
    });
    return new PetPredictor(meta.labels, patterns, o);
  },
};

/**
 * The saved p_cf of each of `patterns` patterns when `o.calibrate` (null otherwise); a PET export carries them.
 * @throws InputError naming method.json: calibrated but no calibration saved, one that is not C positive
 *   numbers, or not one per pattern.
 */
export function savedBiases(
  extra: Record<string, unknown> | undefined,
  o: Pick<PetOptions, "calibrate">,
  classes: number,
  patterns: number,
  file: string,
): number[][] | null {
  if (!o.calibrate) return null;
  const saved = extra?.calibration;
  const ok = (b: unknown) => Array.isArray(b) && b.length === classes && b.every((x) => typeof x === "number" && x > 0);
  if (!Array.isArray(saved) || !saved.every(ok)) {
    throw new InputError(`calibrate is true but no calibration of ${classes} positive class probabilities per pattern is saved`, {
      file,
      field: "extra.calibration",
    });
  }
  if (saved.length !== patterns) {
    throw new InputError(`${saved.length} calibrations saved for ${patterns} patterns`, { file, field: "extra.calibration" });
  }
  return saved;
}
