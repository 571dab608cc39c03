/**
 * AutoPrompt (Shin et al. 2020; ucinlp/autoprompt), `../shared/docs/methods.md` §3: a frozen masked LM, a
 * template `{sentence}[T][T][T][P]。` whose trigger tokens `[T]` are found by a gradient-guided discrete
 * search, and label words given (like PET's verbalizer) or found by label search. Nothing of the model is
 * trained: what a run produces is a readable prompt and its label words.
 *
 * @example
 * ```ts
 * const method = autoprompt.create(model, ["Positive", "Negative"], { iterations: 20 });
 * const { predictor, record } = await method.fit(train, dev);
 * console.log((predictor as AutoPromptPredictor).prompt()); // e.g. "{sentence}很好吗就[MASK]。"
 * ```
 * @module
 */
import type { InputKind, Row } from "../../data/types.ts";
import type { TextInput } from "../../model/batch.ts";
import { checkTemplateInputs, templateInputs } from "../prompt_inputs.ts";
import type { ModelFolder } from "../../model/folder.ts";
import { requireCapabilities } from "../../model/backbone.ts";
import { notesFor } from "../../model/weights.ts";
import type { BertTokenizer } from "../../model/tokenizers/tokenizer.ts";
import { InputError } from "../../util/errors.ts";
import { type ChoiceScoring, FrozenScorer } from "./scorer.ts";
import { CANDIDATE_TOKENS, candidateIds, CANDIDATES } from "../pet/choice_scores.ts";
import { blockedTokens, type PromptExample, SEARCH_METRICS, type SearchOptions, searchTriggers } from "./search.ts";
import { type AutoTemplate, defaultTemplate, encodeAutoPrompts, parseAutoTemplate, renderPrompt, withTriggers } from "./template.ts";
import { checkOption, labelIndices } from "../checks.ts";
import { searchLabelWords } from "./label_search.ts";
import { buildVerbalizer, type VerbalizerSpec } from "../pet/verbalizer.ts";
import { loadMethod, saveMethod } from "../saved.ts";
import type { FitOptions, Method, MethodFactory, Predictor, TrainRecord } from "../types.ts";

/** Options of AutoPrompt: the trigger search's, the template, and how label words are chosen. */
export interface AutoPromptOptions extends SearchOptions {
  /** A named option set of {@link AUTOPROMPT_PRESETS}, applied over the defaults; options given beside it win. */
  preset: string | null;
  /**
   * Template with `{sentence}` (and `{sentence_b}` for pairs), `[T]` trigger slots and one `[P]`; null:
   * `{sentence}` + `triggers`×`[T]` + `[P]。`, or for a pair task `{sentence}[P]` + `triggers`×`[T]` + `{sentence_b}`.
   */
  template: string | null;
  /** Trigger slots of the default template (must match the template's `[T]` count when both are given). */
  triggers: number;
  /**
   * Single-token label words per class, or a PET verbalizer preset name; ignored with `labelSearch`.
   * `"candidates"`: a multiple-choice row's own candidates, read at `[P]` as PET reads them (`pet/choice_scores.ts`).
   */
  labelWords: VerbalizerSpec | string | null;
  /** Find label words by label search (logistic regression on the [P] features) instead. */
  labelSearch: boolean;
  /** Label search: epochs, Adam learning rate, batch size, words kept per class. */
  labelEpochs: number;
  labelLr: number;
  labelBatchSize: number;
  wordsPerClass: number;
}

/**
 * Defaults for 32-example few-shot runs: 3 triggers, 30 iterations, batch 16 with 2 accumulation steps (one
 * pass over 32 examples per gradient estimate and per candidate evaluation; the paper's 32×10 would re-read
 * the same examples ten times), 10 candidates, accuracy as the candidate metric (AutoPrompt with a label map).
 * Label words 好/差 (PET's `good-bad` preset) for the kit's Positive/Negative sentiment labels; label search
 * as in the paper (Adam lr 3e-4, batch 32) with 50 epochs and 3 words per class. Batches of 16 for scoring.
 */
export const AUTOPROMPT_DEFAULTS: AutoPromptOptions = {
  preset: null,
  template: null,
  triggers: 3,
  labelWords: "good-bad",
  labelSearch: false,
  iterations: 30,
  batchSize: 16,
  accumulationSteps: 2,
  numCand: 10,
  metric: "accuracy",
  evalBatchSize: 16,
  maxLength: 128,
  seed: 42,
  labelEpochs: 50,
  labelLr: 3e-4,
  labelBatchSize: 32,
  wordsPerClass: 3,
};

/**
 * Named option sets. `search`: AutoPrompt's own scale for sentiment (its SST-2 run: 100 candidates, 180
 * iterations, gradients accumulated over several batches), sized for a few-shot training set on CPU, with
 * accuracy ties broken by the gold log-likelihood so that a batch of 32 rows, whose count of correct rows
 * rarely changes with one trigger token, still moves (`docs/autoprompt.md`).
 */
export const AUTOPROMPT_PRESETS: Readonly<Record<string, Partial<AutoPromptOptions>>> = {
  search: { iterations: 40, numCand: 40, batchSize: 16, accumulationSteps: 2, metric: "accuracy+loglik", labelSearch: true },
};

/**
 * The parsed template of `o` for the task's `inputs` (null: the default template of that kind).
 * @throws InputError for a bad template, one written for the other kind of input, or a trigger count that disagrees.
 */
function templateOf(o: AutoPromptOptions, explicitTriggers: boolean, inputs: InputKind): AutoTemplate {
  checkOption("triggers", o.triggers, (v) => Number.isInteger(v) && v >= 1, "a positive integer (AutoPrompt needs trigger slots)");
  if (o.template === null) return parseAutoTemplate(defaultTemplate(o.triggers, inputs));
  const t = parseAutoTemplate(o.template);
  checkTemplateInputs(t, inputs, "{sentence_b}");
  if (explicitTriggers && t.triggers !== o.triggers) {
    throw new InputError(`template has ${t.triggers} [T] slots but triggers is ${o.triggers}`, { field: "triggers" });
  }
  return t;
}

/** Ids of single tokens, each a known, non-special vocabulary entry. @throws InputError naming `field`. */
function tokenIds(tok: BertTokenizer, tokens: readonly string[], blocked: Uint8Array, field: string): number[] {
  return tokens.map((t) => {
    const [id] = tok.convertTokensToIds([t]);
    if (id === tok.specialIds.unk || blocked[id]) throw new InputError(`"${t}" is not a usable vocabulary token`, { field });
    return id;
  });
}

/** Token ids of each label's words, checked by PET's verbalizer; AutoPrompt's label map takes single tokens. */
function labelTokenIds(tok: BertTokenizer, labels: readonly string[], words: VerbalizerSpec | string, blocked: Uint8Array): number[][] {
  return buildVerbalizer(tok, labels, words).words.map((list, c) =>
    list.map(({ word, ids }) => {
      const field = `labelWords.${labels[c]}`;
      if (ids.length !== 1) throw new InputError(`label word "${word}" is ${ids.length} tokens; AutoPrompt needs single tokens`, { field });
      return tokenIds(tok, [tok.idToToken(ids[0])], blocked, field)[0];
    })
  );
}

/**
 * `inputs` encoded into `template`; on multiple choice (`choice`) with `[P]` as the candidates' masks and each
 * row's candidate token ids.
 */
function encodeInputs(tok: BertTokenizer, template: AutoTemplate, inputs: readonly TextInput[], maxLength: number, choice?: ChoiceScoring) {
  const enc = encodeAutoPrompts(tok, template, inputs, maxLength, choice?.masks);
  if (!choice) return enc;
  return { ...enc, seqs: enc.seqs.map((s, i) => ({ ...s, candidates: candidateIds(tok, inputs[i], choice.count, choice.masks) })) };
}

/** Multiple choice when the label words are each row's candidates. */
function choiceOf(labels: readonly string[], o: Pick<AutoPromptOptions, "labelWords">): ChoiceScoring | undefined {
  return o.labelWords === CANDIDATES ? { count: labels.length, masks: CANDIDATE_TOKENS } : undefined;
}

/** Predicts with found triggers and label words on the frozen model. */
export class AutoPromptPredictor implements Predictor {
  constructor(
    private readonly model: ModelFolder,
    readonly labels: readonly string[],
    private readonly template: AutoTemplate,
    /** Trigger token ids, one per `[T]`. */
    readonly triggers: readonly number[],
    private readonly scorer: FrozenScorer,
    private readonly options: AutoPromptOptions,
  ) {}

  get inputs(): InputKind {
    return templateInputs(this.template);
  }

  /** The prompt with its triggers, for people: e.g. `{sentence}很好吗就[MASK]。`. */
  prompt(): string {
    return renderPrompt(this.template, this.triggerTokens());
  }

  /** Trigger tokens, one per `[T]`. */
  triggerTokens(): string[] {
    return this.triggers.map((id) => this.model.tokenizer.idToToken(id));
  }

  /** Label words (tokens) per label; none on multiple choice, which reads each row's candidates. */
  labelWords(): Record<string, string[]> {
    const tok = this.model.tokenizer;
    if (this.scorer.choice) return {};
    return Object.fromEntries(this.labels.map((l, c) => [l, this.scorer.labelTokens[c].map((id) => tok.idToToken(id))]));
  }

  /** Softmax over classes of log Σ p(label tokens | [MASK]). */
  predictProba(inputs: readonly TextInput[]): Promise<number[][]> {
    const { evalBatchSize, maxLength } = this.options;
    const { tokenizer } = this.model;
    const seqs = encodeInputs(tokenizer, this.template, inputs, maxLength, this.scorer.choice).seqs.map((s) =>
      withTriggers(s, this.triggers)
    );
    return this.scorer.scoreSeqs(seqs, evalBatchSize, maxLength, true);
  }

  /** `method.json` only: the model is frozen, triggers and label words are stored as readable tokens. */
  save(dir: string): Promise<void> {
    const extra = { prompt: this.prompt(), triggers: this.triggerTokens(), labelWords: this.labelWords() };
    return saveMethod(dir, { method: "autoprompt", options: this.options, labels: [...this.labels], extra }, this.model);
  }
}

class AutoPrompt implements Method {
  readonly name = "autoprompt";

  constructor(
    private readonly model: ModelFolder,
    private readonly labels: readonly string[],
    private readonly options: AutoPromptOptions,
    private readonly template: AutoTemplate,
    private readonly blocked: Uint8Array,
    private readonly labelTokens: number[][] | null,
  ) {}

  async fit(train: readonly Row[], dev: readonly Row[], { onProgress }: FitOptions = {}) {
    const { model, labels, options: o, template } = this;
    const start = performance.now();
    if (!train.length) throw new InputError("AutoPrompt needs training examples", { field: "train" });
    const gold = labelIndices(train, labels, "train"), devGold = labelIndices(dev, labels, "dev");
    const choice = choiceOf(labels, o);
    const encode = (rows: readonly Row[]) => encodeInputs(model.tokenizer, template, rows, o.maxLength, choice);
    const enc = encode(train);
    const trainEx: PromptExample[] = enc.seqs.map((seq, i) => ({ seq, gold: gold[i] }));
    const devEx: PromptExample[] = encode(dev).seqs.map((seq, i) => ({ seq, gold: devGold[i] }));
    const embeddings = model.weights.get(model.backbone.wordEmbeddings)!;

    let labelTokens = this.labelTokens;
    if (!labelTokens) {
      onProgress?.({ phase: "label-search", step: 0, totalSteps: 1 });
      const features = new FrozenScorer(model, []);
      const decoder = model.backbone.answerEmbeddings(model.weights);
      labelTokens = await searchLabelWords(features, trainEx, devEx, labels.length, decoder, this.blocked, {
        epochs: o.labelEpochs,
        lr: o.labelLr,
        batchSize: o.labelBatchSize,
        wordsPerClass: o.wordsPerClass,
        seed: o.seed,
        evalBatchSize: o.evalBatchSize,
        maxLength: o.maxLength,
      });
      await features.release();
    }
    const scorer = new FrozenScorer(model, labelTokens, choice);
    // Label tokens as triggers would let the prompt state the answer.
    const blocked = this.blocked.slice();
    for (const id of labelTokens.flat()) blocked[id] = 1;
    const result = await searchTriggers(scorer, trainEx, devEx, embeddings, blocked, model.tokenizer.specialIds.mask, o, onProgress);
    await scorer.releaseGradients();

    const options = { ...o, template: template.source };
    const predictor = new AutoPromptPredictor(model, labels, template, result.triggers, scorer, options);
    const words = Object.entries(predictor.labelWords()).map(([l, w]) => `${l}=${w.join("/")}`).join(", ");
    const record: TrainRecord = {
      method: this.name,
      trainableParams: template.triggers,
      steps: o.iterations,
      wallSeconds: (performance.now() - start) / 1000,
      losses: result.losses,
      dev: result.dev,
      bestStep: result.bestStep,
      acceptedFlips: result.acceptedFlips,
      notes: [
        ...notesFor(model, "mlm-head"),
        `model frozen (0 weights updated); trainableParams counts the ${template.triggers} discrete trigger slots`,
        `prompt: ${predictor.prompt()}`,
        `accepted flips: ${result.acceptedFlips} of ${o.iterations} iterations (metric ${o.metric})`,
        choice ? "label words: each row's candidates" : `label words${this.labelTokens ? "" : " (label search)"}: ${words}`,
        ...(enc.truncated ? [`${enc.truncated} training texts truncated to fit ${o.maxLength} tokens`] : []),
      ],
    };
    return { predictor, record };
  }
}

/** Validate every option (before any work) and return the parsed template and label tokens. */
function configure(model: ModelFolder, labels: readonly string[], o: AutoPromptOptions, explicitTriggers: boolean, inputs: InputKind) {
  const template = templateOf(o, explicitTriggers, inputs);
  const positive = (name: keyof AutoPromptOptions) =>
    checkOption(name, o[name] as number, (v) => Number.isInteger(v) && v >= 1, "a positive integer");
  for (const k of ["batchSize", "accumulationSteps", "numCand", "evalBatchSize"] as const) positive(k);
  checkOption("iterations", o.iterations, (v) => Number.isInteger(v) && v >= 0, "a non-negative integer");
  requireCapabilities(model, ["mlm", "soft-input"], autoprompt.name);
  const maxPositions = model.backbone.sizes.maxPositions;
  checkOption("maxLength", o.maxLength, (v) => Number.isInteger(v) && v >= 8 && v <= maxPositions, `an integer in [8, ${maxPositions}]`);
  if (!SEARCH_METRICS.includes(o.metric)) {
    throw new InputError(`must be one of ${SEARCH_METRICS.join(", ")}; got "${o.metric}"`, { field: "metric" });
  }
  const blocked = blockedTokens(model.tokenizer, model.backbone.sizes.vocabSize);
  if (o.labelSearch && choiceOf(labels, o)) {
    throw new InputError(`label search finds words per class; labelWords "${CANDIDATES}" reads each row's own`, { field: "labelSearch" });
  }
  if (o.labelSearch) {
    for (const k of ["labelEpochs", "labelBatchSize", "wordsPerClass"] as const) positive(k);
    checkOption("labelLr", o.labelLr, (v) => v > 0, "positive");
    return { template, blocked, labelTokens: null };
  }
  if (!o.labelWords) throw new InputError("give labelWords or set labelSearch: true", { field: "labelWords" });
  if (choiceOf(labels, o)) return { template, blocked, labelTokens: [] };
  return { template, blocked, labelTokens: labelTokenIds(model.tokenizer, labels, o.labelWords, blocked) };
}

/** Registry entry of AutoPrompt. */
export const autoprompt: MethodFactory<AutoPromptOptions> = {
  name: "autoprompt",
  summary: "AutoPrompt: frozen MLM, gradient-guided discrete trigger search, given or searched label words",
  kind: "discrete",
  trains: "tokens",
  display: { name: "AutoPrompt", colour: "#4c78a8", loss: "trigger-search loss" },
  presets: {
    ci: { iterations: 2, numCand: 3, batchSize: 8, accumulationSteps: 1, maxLength: 64 },
    test: { iterations: 1, batchSize: 4, accumulationSteps: 1, numCand: 2, evalBatchSize: 8, maxLength: 32, seed: 3 },
    // Label search and accuracy ties broken by log-likelihood (as the `search` preset), at a demo's budget.
    demo: { iterations: 8, numCand: 8, batchSize: 16, accumulationSteps: 1, maxLength: 64, metric: "accuracy+loglik", labelSearch: true },
    pairs: { labelWords: "yes-no" },
    // The triggers before the context, so the blank's two sides stay together around [P].
    choices: { labelWords: CANDIDATES, template: "[T][T][T]{sentence}[P]{sentence_b}" },
    // Its label words must be single tokens: a task whose words are longer (IFLYTEK's 打车) gets searched ones.
    forTask: ({ words }) => Object.values(words).flat().every((w) => [...w].length === 1) ? { labelWords: words } : { labelSearch: true },
  },
  sweeps: [{
    param: "triggers",
    figure: "trigger_count",
    title: "AutoPrompt: accuracy vs trigger count",
    axisTitle: "trigger tokens",
    log: false,
  }],
  defaults: AUTOPROMPT_DEFAULTS,
  create(model, labels, options = {}, inputs = "text") {
    const preset = options.preset ? AUTOPROMPT_PRESETS[options.preset] : {};
    if (!preset) {
      throw new InputError(`unknown preset "${options.preset}"; known: ${Object.keys(AUTOPROMPT_PRESETS).join(", ")}`, { field: "preset" });
    }
    const o = { ...AUTOPROMPT_DEFAULTS, ...preset, ...options };
    const { template, blocked, labelTokens } = configure(model, labels, o, options.triggers !== undefined, inputs);
    return new AutoPrompt(model, labels, o, template, blocked, labelTokens);
  },
  async load(dir, model) {
    requireCapabilities(model, ["mlm"], autoprompt.name);
    const { meta } = await loadMethod<AutoPromptOptions>(dir, autoprompt.name, model);
    const file = `${dir}/method.json`;
    const extra = meta.extra as { triggers?: string[]; labelWords?: Record<string, string[]> } | undefined;
    if (!extra?.triggers || !extra.labelWords) throw new InputError("no triggers or label words saved", { file, field: "extra" });
    const template = parseAutoTemplate(meta.options.template ?? "");
    const tok = model.tokenizer, blocked = blockedTokens(tok, model.backbone.sizes.vocabSize);
    const choice = choiceOf(meta.labels, meta.options);
    const labelTokens = choice ? [] : meta.labels.map((l) => tokenIds(tok, extra.labelWords![l] ?? [], blocked, `extra.labelWords.${l}`));
    if (labelTokens.some((t) => !t.length)) throw new InputError("a label has no saved label words", { file, field: "extra.labelWords" });
    // A trigger slot the search never changed keeps its initial [MASK].
    blocked[tok.specialIds.mask] = 0;
    const triggers = tokenIds(tok, extra.triggers, blocked, "extra.triggers");
    if (triggers.length !== template.triggers) {
      throw new InputError(`${triggers.length} triggers for ${template.triggers} [T] slots`, { file });
    }
    return new AutoPromptPredictor(model, meta.labels, template, triggers, new FrozenScorer(model, labelTokens, choice), meta.options);
  },
};
