/**
 * The text-to-text predictor: rank classification of prompts on one set of weights (class probabilities are the
 * softmax over the label targets' summed log-likelihoods), greedy generation, and its saved form.
 * @module
 */
import { chunks, type TextInput } from "../../model/batch.ts";
import type { TextToTextFolder } from "../../model/folder.ts";
import type { TextBatch, TextToTextRunner } from "../../model/text_to_text.ts";
import type { LoopOptions } from "../../train/loop.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { softmaxRow } from "../predict.ts";
import { templateInputs } from "../prompt_inputs.ts";
import { saveMethod } from "../saved.ts";
import type { Predictor } from "../types.ts";
import { encodePrompts, padBatch, type TargetSpec, targetStrings, type Text2TextTemplate } from "./prompt.ts";

/** The method's name, in `method.json`. */
export const TEXT2TEXT = "text2text";

/** Name of prompt tuning's soft prompt [promptLength, hidden] among the predictor's weights and in its saved file. */
export const SOFT_PROMPT = "prompt_tuning.embeddings";

/** Options of the text-to-text method. */
export interface Text2TextOptions extends LoopOptions {
  /**
   * `zero-shot`: the model as it is; `finetune`: every weight trained on the gold targets; `prompt-tuning`:
   * `promptLength` vectors before the prompt trained, the model frozen.
   */
  mode: "zero-shot" | "finetune" | "prompt-tuning";
  /** `{text}` (and `{text_b}`) around `<extra_id_0>`, the answer's place. */
  template: string;
  /** Label → word (its target is `<extra_id_0>` + word), or a PET verbalizer preset with one word per label. */
  targets: TargetSpec;
  /** Soft vectors before the prompt in mode `prompt-tuning`. */
  promptLength: number;
  /** Longest encoder input in tokens: the soft vectors, the prompt and its end token. */
  maxLength: number;
  evalBatchSize: number;
  /** Longest generation of `generate`, in tokens. */
  maxNewTokens: number;
}

/** Rank classification and generation of prompts on one set of weights. */
export class Text2TextPredictor implements Predictor {
  readonly inputs;
  /** Target ids of each label (closed by the end token), in label order. */
  readonly targets: readonly (readonly number[])[];
  /** The soft prompt's name among `weights` in mode `prompt-tuning`. */
  readonly softPrompt?: string;

  constructor(
    readonly model: TextToTextFolder,
    readonly labels: readonly string[],
    readonly options: Text2TextOptions,
    readonly template: Text2TextTemplate,
    readonly weights: TensorMap,
  ) {
    this.inputs = templateInputs(template);
    this.targets = targetStrings(model.tokenizer, labels, options.targets).map((t) => model.tokenizer.encode(t));
    if (options.mode === "prompt-tuning") this.softPrompt = SOFT_PROMPT;
  }

  /** Encoder ids of each input: placeholders where the soft prompt goes (prompt tuning), then its prompt. */
  encode(inputs: readonly TextInput[]): number[][] {
    const { tokenizer } = this.model, soft = this.softPrompt ? this.options.promptLength : 0;
    const placeholders = new Array(soft).fill(tokenizer.pad);
    return encodePrompts(tokenizer, this.template, inputs, this.options.maxLength - soft).map((ids) => [...placeholders, ...ids]);
  }

  /** Run `each` over `inputs` in batches of `evalBatchSize` prompts with one runner; rows in input order. */
  async #batches<T>(
    inputs: readonly TextInput[],
    each: (runner: TextToTextRunner, batch: TextBatch, n: number) => Promise<T[]>,
  ): Promise<T[]> {
    const { model, options: o } = this;
    const prompts = this.encode(inputs);
    const runner = model.backbone.textToText.runner(this.weights, this.softPrompt);
    try {
      const out: T[] = [];
      for (const part of chunks(prompts, o.evalBatchSize)) {
        out.push(...(await each(runner, padBatch(model.tokenizer, part, o.evalBatchSize), part.length)));
      }
      return out;
    } finally {
      await runner.release();
    }
  }

  /** Softmax over the labels' target log-likelihoods, one row per input. */
  predictProba(inputs: readonly TextInput[]): Promise<number[][]> {
    return this.#batches(
      inputs,
      async (runner, batch, n) => (await runner.logLikelihoods(batch, this.targets)).slice(0, n).map(softmaxRow),
    );
  }

  /** The decoder's greedy output for each input, as text (special tokens dropped). */
  generate(inputs: readonly TextInput[]): Promise<string[]> {
    return this.#batches(
      inputs,
      async (runner, batch, n) =>
        (await runner.greedy(batch, this.options.maxNewTokens)).slice(0, n).map((ids) => this.model.tokenizer.decode(ids)),
    );
  }

  /** `method.json`, and what training changed: every weight (`finetune`) or the soft prompt (`prompt-tuning`). */
  save(dir: string): Promise<void> {
    const meta = { method: TEXT2TEXT, options: this.options, labels: [...this.labels], extra: { inputs: this.inputs } };
    const trained = this.softPrompt
      ? new Map([[this.softPrompt, this.weights.get(this.softPrompt)!]])
      : this.options.mode === "finetune"
      ? this.weights
      : undefined;
    return saveMethod(dir, meta, this.model, trained);
  }
}
