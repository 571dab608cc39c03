/**
 * Soft prompt (prompt tuning, P-tuning; `docs/methods.md`): PET's template and verbalizer with the prompt's
 * words replaced by P trained vectors at the input embeddings, e.g. the article's `{text}，[P][P][P][MASK]`,
 * read at `[MASK]` through the MLM head. The backbone is frozen by default (only the P × H vectors train:
 * backward stops at them); `trainBackbone: true` is P-tuning's variant that tunes the LM too. The vectors
 * start random or from the embeddings of `initWords` (`感觉很`), and can pass through P-tuning's MLP prompt
 * encoder (`prompt.ts`).
 *
 * @example
 * ```ts
 * const soft = getMethod("soft-prompt").create(model, task.labels, { template: "{text}，[P][MASK]", promptLength: 20 });
 * const { predictor } = await soft.fit(train, dev);
 * ```
 * @module
 */
import type { InputKind, Row } from "../../data/types.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { requireCapabilities } from "../../model/backbone.ts";
import { notesFor } from "../../model/weights.ts";
import { LOOP_DEFAULTS, type LoopOptions } from "../../train/loop.ts";
import { InputError } from "../../util/errors.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { checkLoopOptions, checkOption } from "../checks.ts";
import { CI_LOOP, DEMO_LOOP, TEST_LOOP } from "../loop_presets.ts";
import { checkTemplateInputs } from "../prompt_inputs.ts";
import { loadMethod } from "../saved.ts";
import { expandSoftSlot, parseTemplate, SOFT_SLOT, type Template, templateOverhead } from "../pet/template.ts";
import type { VerbalizerSpec } from "../pet/verbalizer.ts";
import { resolveVerbalizer, verbalizerSource } from "../pet/mask_readout.ts";
import { CANDIDATES } from "../pet/choice_scores.ts";
import type { FitOptions, Method, MethodFactory } from "../types.ts";
import { fitPattern, PatternPredictor, PromptPattern } from "./pattern.ts";
import { initPrompt, initWordIds, type PromptShape, promptShapes } from "./prompt.ts";

/** Options of the soft-prompt method: the loop's, the template with soft slots, the verbalizer, the prompt's. */
export interface SoftPromptOptions extends LoopOptions, Pick<PromptShape, "promptEncoder"> {
  /** A PET template (`pet/template.ts`) with soft slots `[P]`; a single `[P]` expands to `promptLength` vectors. */
  template: string;
  /** Label words read at `[MASK]` (words per label or a PET preset name). */
  verbalizer: VerbalizerSpec | string;
  /**
   * Soft vectors P, 1..128; null: one per `[P]` of the template. A template with one `[P]` gets P vectors
   * there; one with several must have exactly P.
   */
  promptLength: number | null;
  /** Hidden width of the MLP prompt encoder; null: the model's hidden size. */
  encoderHiddenSize: number | null;
  /** Start the vectors from these characters' word embeddings (one token per slot); empty: random. */
  initWords: string;
  /** Train every backbone weight too (P-tuning's variant); false: the backbone is frozen. */
  trainBackbone: boolean;
  /** Longest input in tokens, [CLS], [SEP], template, soft slots and masks included. */
  maxLength: number;
  evalBatchSize: number;
}

/**
 * Defaults: the article's prompt `{text}，[P][P][P][MASK]` with 好/差, random vectors, frozen backbone, and
 * P-tuning v2's loop (AdamW lr 5e-3, weight decay 0, no warmup, clip 1.0, at least 300 steps of 16).
 */
export const SOFT_PROMPT_DEFAULTS: SoftPromptOptions = {
  ...LOOP_DEFAULTS,
  lr: 5e-3,
  weightDecay: 0,
  maxGradNorm: 1,
  minSteps: 300,
  evalEvery: 50,
  template: "{text}，[P][P][P][MASK]",
  verbalizer: "good-bad",
  promptLength: null,
  initWords: "",
  promptEncoder: "none",
  encoderHiddenSize: null,
  trainBackbone: false,
  maxLength: 128,
  evalBatchSize: 32,
};

/** Learning rate with `trainBackbone` when none is given: one rate drives the LM too (PET's fine-tuning rate). */
export const BACKBONE_LR = 1e-5;

/** Options with the prompt's shape resolved for a model (what training, saving and loading use). */
type ResolvedOptions = SoftPromptOptions & PromptShape;

/**
 * The template of `o` with its soft slots expanded to `promptLength` (null: one vector per slot).
 * @throws InputError: no soft slot (`template`), or a `promptLength` out of 1..128 (0 included) or unequal to
 *   the slots of a template with several (`promptLength`).
 */
function softTemplate(o: SoftPromptOptions): Template {
  const t = parseTemplate(o.template, { softSlots: true });
  if (t.soft === 0) {
    throw new InputError(`template "${o.template}" has no soft slot ${SOFT_SLOT}; write one where the trained vectors go`, {
      field: "template",
    });
  }
  const P = o.promptLength ?? t.soft;
  checkOption(
    "promptLength",
    P,
    (v) => Number.isInteger(v) && v >= 1 && v <= 128,
    `an integer in [1, 128] (the soft vectors of ${SOFT_SLOT})`,
  );
  if (t.soft === P) return t;
  if (t.soft !== 1) {
    throw new InputError(`${P}, but template "${o.template}" has ${t.soft} soft slots; write one ${SOFT_SLOT} to expand, or ${P}`, {
      field: "promptLength",
    });
  }
  return expandSoftSlot(t, P);
}

/** Resolve and check options, template and verbalizer for `model` and `labels`: every error before training. */
function resolve(model: ModelFolder, labels: readonly string[], options: Partial<SoftPromptOptions>, inputs?: InputKind) {
  const given = { ...SOFT_PROMPT_DEFAULTS, ...options };
  if (options.lr === undefined && given.trainBackbone) given.lr = BACKBONE_LR;
  if (typeof given.trainBackbone !== "boolean") {
    throw new InputError(`must be true or false, got ${JSON.stringify(given.trainBackbone)}`, { field: "trainBackbone" });
  }
  if (given.promptEncoder !== "none" && given.promptEncoder !== "mlp") {
    throw new InputError(`must be "none" or "mlp", got ${JSON.stringify(given.promptEncoder)}`, { field: "promptEncoder" });
  }
  if (typeof given.initWords !== "string") {
    throw new InputError(`must be a string (empty: random), got ${JSON.stringify(given.initWords)}`, { field: "initWords" });
  }
  checkLoopOptions(given, model.backbone.sizes.maxPositions);
  requireCapabilities(model, ["soft-input", "mlm"], softPrompt.name);
  const template = softTemplate(given);
  const o: ResolvedOptions = {
    ...given,
    promptLength: template.soft,
    encoderHiddenSize: given.encoderHiddenSize ?? model.backbone.sizes.hiddenSize,
  };
  checkOption("encoderHiddenSize", o.encoderHiddenSize, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  initWordIds(model.tokenizer, o.initWords, o.promptLength);
  if (inputs) checkTemplateInputs(template, inputs, "{text_b}");
  const verbalizer = resolveVerbalizer(model.tokenizer, labels, o.verbalizer);
  templateOverhead(model.tokenizer, template, { maskCount: verbalizer.maskCount, maxLength: o.maxLength });
  return { o, template, verbalizer };
}

class SoftPrompt implements Method {
  readonly name = softPrompt.name;

  constructor(
    private readonly model: ModelFolder,
    private readonly labels: readonly string[],
    private readonly resolved: ReturnType<typeof resolve>,
  ) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels } = this, { o, template, verbalizer } = this.resolved;
    const prompt = initPrompt(model, o, o.seed);
    // A trained backbone is a copy: the loaded model stays as it was for the next run.
    const backbone: TensorMap = o.trainBackbone
      ? new Map([...model.weights].map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]))
      : model.weights;
    const weights = new Map([...backbone, ...prompt]);
    const params = o.trainBackbone ? weights : prompt;
    const pattern = new PromptPattern(model, template, verbalizer, weights, (n) => params.has(n), o);
    const record = await fitPattern(this.name, pattern, params, { train, dev, labels }, notesFor(model, "mlm-head"), onProgress);
    return { predictor: predictorOf(labels, pattern, params), record };
  }
}

/** The predictor of a trained pattern, saving `saved` with the options (the verbalizer as words). */
function predictorOf(labels: readonly string[], pattern: PromptPattern, saved: TensorMap): PatternPredictor {
  return new PatternPredictor(labels, pattern, saved, softPrompt.name, {
    ...pattern.options,
    verbalizer: verbalizerSource(pattern.verbalizer),
  });
}

/** Registry entry of the soft-prompt method. */
export const softPrompt: MethodFactory<SoftPromptOptions> = {
  name: "soft-prompt",
  summary: "Soft prompt: P trained vectors at [P] slots of a template, read at [MASK] by a verbalizer; BERT frozen (or trained)",
  kind: "continuous",
  trains: "weights",
  display: { name: "Soft prompt", colour: "#b279a2" },
  presets: {
    ci: CI_LOOP,
    test: { ...TEST_LOOP, template: "{text}，[P][P][P][MASK]", verbalizer: "good-bad" },
    demo: { ...DEMO_LOOP, steps: 100 },
    pairs: { template: "{text}？[P][P][MASK]，{text_b}", verbalizer: "yes-no" },
    // PET's multiple-choice readout with three trained vectors after [CLS], the blank's two sides kept together.
    choices: { template: "[P][P][P]{text}[MASK]{text_b}", verbalizer: CANDIDATES },
    // The task's template with the default's three trained vectors just before the mask.
    forTask: ({ template, words }) => ({ template: template.replace("[MASK]", "[P][P][P][MASK]"), verbalizer: words }),
    // The committed comparison grids hold no soft-prompt cells yet; the stage-2 ladder grid is its home.
    inComparisons: false,
  },
  sweeps: [{
    param: "promptLength",
    figure: "prompt_length",
    title: "Soft prompt: accuracy vs prompt length",
    axisTitle: "prompt length (soft vectors at the input)",
  }],
  defaults: SOFT_PROMPT_DEFAULTS,
  create(model, labels, options = {}, inputs = "text") {
    return new SoftPrompt(model, labels, resolve(model, labels, options, inputs));
  },
  async load(dir, model) {
    const { labels, tensors, pattern } = await loadSoftPrompt(dir, model);
    return predictorOf(labels, pattern, tensors);
  },
};

/**
 * A saved soft-prompt predictor's labels, tensors, resolved options and pattern (what loading and exporting read).
 * @throws InputError naming weights.safetensors when a prompt tensor is missing or of another shape than the options give.
 */
export async function loadSoftPrompt(dir: string, model: ModelFolder) {
  const { meta, tensors } = await loadMethod<SoftPromptOptions>(dir, softPrompt.name, model);
  const { o, template, verbalizer } = resolve(model, meta.labels, meta.options);
  for (const [name, shape] of promptShapes(model.backbone.sizes.hiddenSize, o)) {
    const t = tensors.get(name);
    if (!t || t.shape.join() !== shape.join()) {
      throw new InputError(`soft-prompt tensor ${name} is [${t?.shape ?? "missing"}], these options need [${shape}]`, {
        file: `${dir}/weights.safetensors`,
      });
    }
  }
  const weights = new Map([...model.weights, ...tensors]);
  return { labels: meta.labels, tensors, o, pattern: new PromptPattern(model, template, verbalizer, weights, (n) => tensors.has(n), o) };
}
