/**
 * The grids behind the notebooks, at each budget. `ci` runs on the embedded demo data with a few steps and one
 * or two seeds; `full` runs the article's protocol on EPRSTMT with the methods' own defaults and five seeds
 * (`grids/*.json` hold the full grids for `deno task grid`; a test keeps them equal).
 * @module
 */
import { autoprompt } from "../methods/autoprompt/autoprompt.ts";
import { finetune } from "../methods/classifier/finetune.ts";
import { ptuningV2 } from "../methods/classifier/ptuning_v2.ts";
import { pet } from "../methods/pet/pet.ts";
import { softPrompt } from "../methods/soft_prompt/soft_prompt.ts";
import { text2text } from "../methods/text2text/text2text.ts";
import { getMethod, methods } from "../methods/registry.ts";
import type { BertConfig } from "../model/bert/config.ts";
import { getTask } from "../data/registry.ts";
import type { Budget } from "./setup.ts";
import type { Grid, GridMethod } from "./grid.ts";

const SEEDS = { ci: [1], full: [1, 2, 3, 4, 5] };

/**
 * Name, dataset and K values of the sampled protocol at each budget (K = 0: zero-shot). The name carries the
 * dataset (`comparison-eprstmt`), so the results file of each budget is its own.
 */
function sampled(name: string, b: Budget, k: { ci: number[]; full: number[] }, seeds = SEEDS[b]) {
  const dataset = b === "ci" ? "demo" : "eprstmt";
  return { name: `${name}-${dataset}`, dataset, protocol: { kind: "sampled" as const, k: k[b], seeds } };
}

/** A grid method entry with the method's options at budget `b` (none at `full`: its defaults) and `options`. */
function entry(method: string, b: Budget, rest: Omit<GridMethod, "method" | "options"> = {}, options = {}): GridMethod {
  return { method, options: { ...(b === "ci" ? getMethod(method).presets.ci : {}), ...options }, ...rest };
}

/** PET's zero-shot cells beside the trained ones. */
const PET_ZERO_SHOT = { zeroShot: pet.presets.zeroShot };

/** 01: fine-tuning across K. */
export function finetuneGrid(b: Budget): Grid {
  return { ...sampled(finetune.name, b, { ci: [4, 8], full: [4, 8, 16] }), methods: [entry(finetune.name, b)] };
}

/** 02: PET templates × verbalizers, zero-shot and trained. */
export function discretePromptGrid(b: Budget): Grid {
  const grid = b === "ci" ? { template: ["fewclue", "article"], verbalizer: ["fewclue", "good-bad"] } : {
    template: ["fewclue", "article", "zongzhi", "review", "zongti"],
    verbalizer: ["fewclue", "good-bad", "great-rotten", "multi-char"],
  };
  return { ...sampled("discrete_prompts", b, { ci: [0, 4], full: [0, 16] }), methods: [entry(pet.name, b, { grid, ...PET_ZERO_SHOT })] };
}

/**
 * 02, sentence pairs: PET's pair templates × verbalizers on BUSTM, zero-shot and trained (K = 16; ci: two of
 * each at K = 4). Pairs have no embedded data: every budget reads BUSTM.
 */
export function pairPromptGrid(b: Budget): Grid {
  const grid = b === "ci" ? { template: ["pair-question", "pair-same"], verbalizer: ["yes-no", "same-not"] } : {
    template: ["pair-question", "pair-same", "pair-semantic", "pair-fewclue"],
    verbalizer: ["yes-no", "same-not", "same-different", "very-not"],
  };
  return {
    name: "pair_prompts-bustm",
    dataset: "bustm",
    protocol: { kind: "sampled", k: b === "ci" ? [0, 4] : [0, 16], seeds: SEEDS[b] },
    methods: [entry(pet.name, b, { grid, ...PET_ZERO_SHOT })],
  };
}

/** 03: AutoPrompt trigger count. */
export function autopromptGrid(b: Budget): Grid {
  const triggers = b === "ci" ? [1, 3] : [1, 2, 3, 4, 5, 6, 8];
  return { ...sampled(autoprompt.name, b, { ci: [4], full: [16] }), methods: [entry(autoprompt.name, b, { grid: { triggers } })] };
}

/** Powers of two up to 128 that leave at least 16 input positions beside the prefix. */
export function prefixLengths(config: Pick<BertConfig, "max_position_embeddings">, max = 128): number[] {
  const out: number[] = [];
  for (let p = 1; p <= max && p <= config.max_position_embeddings - 16; p *= 2) out.push(p);
  return out;
}

/** 04: P-tuning v2 prefix length, with a seed spread. */
export function ptuningGrid(b: Budget, config: Pick<BertConfig, "max_position_embeddings">): Grid {
  const prefixLength = b === "ci" ? [1, 4, 16] : prefixLengths(config);
  return {
    ...sampled("ptuning_v2", b, { ci: [4], full: [16] }, b === "ci" ? [1, 2] : SEEDS.full),
    methods: [entry(ptuningV2.name, b, { grid: { prefixLength } })],
  };
}

/**
 * Every registered method (but those kept out, `presets.inComparisons`) with its defaults and the options comparisons fix (P-tuning v2's 8-token prefix, 4 at
 * ci), on a pair task with its pair options; the zero-shot cells of those that have them if asked.
 */
function everyMethod(b: Budget, { zeroShot, pairs = false }: { zeroShot: boolean; pairs?: boolean }): GridMethod[] {
  return [...methods.values()].filter((m) => m.presets.inComparisons !== false).map((m) => {
    const { compare, pairs: pairOptions, zeroShot: zeroShotOptions } = m.presets;
    const rest = zeroShot && zeroShotOptions ? { zeroShot: zeroShotOptions } : {};
    return entry(m.name, b, rest, { ...compare?.[b], ...(pairs ? pairOptions : {}) });
  });
}

/** 05: every method across K on one dataset, PET also zero-shot. */
export function comparisonGrid(b: Budget): Grid {
  return { ...sampled("comparison", b, { ci: [0, 4, 8], full: [0, 4, 8, 16, 32, 64] }), methods: everyMethod(b, { zeroShot: true }) };
}

/**
 * 05, sentence pairs: every method across K on FewCLUE BUSTM (at both budgets: there is no embedded pair
 * data), PET with a two-slot template and 是/不, AutoPrompt with the same label words.
 */
export function pairComparisonGrid(b: Budget): Grid {
  return {
    name: "comparison-bustm",
    dataset: "bustm",
    protocol: { kind: "sampled", k: b === "ci" ? [0, 4] : [0, 4, 8, 16, 32, 64], seeds: SEEDS[b] },
    methods: everyMethod(b, { zeroShot: true, pairs: true }),
  };
}

/**
 * 06: the model-size axis, run once per model of the family (`model_family.ts`): every method as in the
 * comparison at K 4, 16 and 64 (ci: 4 and 8), without zero-shot cells.
 */
export function modelSizeGrid(b: Budget): Grid {
  return { ...sampled("model_size", b, { ci: [4, 8], full: [4, 16, 64] }), methods: everyMethod(b, { zeroShot: false }) };
}

/** The T5 rows' grid name (`t5_comparison-<dataset>`); its cells run on a T5 (`deno task grid ... --model T5DIR`). */
export const T5_COMPARISON_GRID = "t5_comparison";

/**
 * The text-to-text method's three modes on a T5, beside the BERT methods' comparison: zero-shot (rank
 * classification by the pre-trained decoder), fine-tuning and prompt tuning at K = 16 and 64 with five seeds
 * (ci: the demo data, K = 4, one seed), each with its defaults (on BUSTM, the method's pair template and 是/不).
 */
export function t5ComparisonGrid(b: Budget, dataset: "eprstmt" | "bustm"): Grid {
  const k = { ci: [0, 4], full: [0, 16, 64] };
  const protocol = dataset === "bustm"
    ? { name: `${T5_COMPARISON_GRID}-bustm`, dataset, protocol: { kind: "sampled" as const, k: k[b], seeds: SEEDS[b] } }
    : sampled(T5_COMPARISON_GRID, b, k);
  return {
    ...protocol,
    methods: [
      // Fine-tuning is the method's default mode: its rows are "text-to-text" and "text-to-text (zero-shot)".
      entry(text2text.name, b, { zeroShot: text2text.presets.zeroShot }),
      entry(text2text.name, b, { label: "text-to-text, prompt tuning" }, { mode: "prompt-tuning" }),
    ],
  };
}

/** The FewCLUE benchmark's grid name (`fewclue_benchmark-<task>`), whose rows across tasks get the benchmark figures. */
export const BENCHMARK_GRID = "fewclue_benchmark";

/**
 * FewCLUE's tasks the benchmark runs, easy sentiment and paraphrase first: single texts (EPRSTMT, and the
 * many-class IFLYTEK and CSLDCP), pairs (BUSTM, CSL's abstract and keywords, CLUEWSC's sentence and spans) and
 * multiple choice (CHID).
 */
export const BENCHMARK_TASKS = ["eprstmt", "bustm", "csl", "cluewsc", "iflytek", "csldcp", "chid"] as const;

/** The tasks a notebook's benchmark runs at each budget: two at ci (an easy binary pair task and the 119-class one). */
export function benchmarkTasks(b: Budget): readonly (typeof BENCHMARK_TASKS)[number][] {
  return b === "ci" ? ["cluewsc", "iflytek"] : BENCHMARK_TASKS;
}

/**
 * 07: every method of the comparisons (PET also zero-shot) on FewCLUE's official splits of `task` (ci: split 0),
 * with the task's own prompts (`Task.prompt`) where it has them and the pair presets on BUSTM.
 */
export function benchmarkGrid(b: Budget, task: (typeof BENCHMARK_TASKS)[number]): Grid {
  return {
    name: `${BENCHMARK_GRID}-${task}`,
    dataset: task,
    protocol: { kind: "fewclue", indices: b === "ci" ? [0] : [0, 1, 2, 3, 4] },
    methods: everyMethod(b, { zeroShot: true, pairs: task === "bustm" }),
  };
}

/** The stage-2 ladder's grid name (`stage2_ladder-<dataset>`), which `figuresFor` draws the ladder figure for. */
export const LADDER_GRID = "stage2_ladder";

/**
 * The rungs of the stage-2 ladder, in the article's order, each one option away from the last: the discrete
 * prompt (PET, zero-shot and trained), P trained vectors at the input read at [MASK] (P = 3, then 20), the same
 * P = 20 vectors at every layer, then read at [CLS] instead of [MASK] (P-tuning v2), and fine-tuning.
 */
export const LADDER_RUNGS = [
  "PET",
  "soft prompt, input, [MASK], P = 3",
  "soft prompt, input, [MASK], P = 20",
  "deep prompt, [MASK], P = 20",
  "deep prompt, [CLS], P = 20 (P-tuning v2)",
  "fine-tuning",
] as const;

/** A soft-prompt template with one `[P]` before the mask, single texts or pairs (the `pairs` preset's shape). */
const SOFT_TEMPLATE = { text: "{text}，[P][MASK]", pairs: "{text}？[P][MASK]，{text_b}" };

/**
 * The stage-2 ladder on EPRSTMT (ci: the demo data) or BUSTM (pairs: PET's pair template and 是/不 everywhere),
 * K = 16 and 64 with five seeds plus PET's zero-shot cells (ci: K = 4, one seed).
 */
export function ladderGrid(b: Budget, dataset: "eprstmt" | "bustm"): Grid {
  const pairs = dataset === "bustm";
  const verbalizer = pairs ? "yes-no" : "good-bad";
  const soft = (promptLength: number) => ({ template: SOFT_TEMPLATE[pairs ? "pairs" : "text"], verbalizer, promptLength });
  const deep = { prefixLength: 20, prefixDepth: "all" };
  const [petRung, short, long, deepMask, deepCls, ft] = LADDER_RUNGS;
  const k = { ci: [0, 4], full: [0, 16, 64] };
  const protocol = pairs
    ? { name: `${LADDER_GRID}-bustm`, dataset, protocol: { kind: "sampled" as const, k: k[b], seeds: SEEDS[b] } }
    : sampled(LADDER_GRID, b, k);
  return {
    ...protocol,
    methods: [
      entry(pet.name, b, { label: petRung, ...PET_ZERO_SHOT }, pairs ? pet.presets.pairs : { template: "article", verbalizer }),
      entry(softPrompt.name, b, { label: short }, soft(3)),
      entry(softPrompt.name, b, { label: long }, soft(20)),
      entry(ptuningV2.name, b, { label: deepMask }, { ...deep, head: "mask", verbalizer }),
      entry(ptuningV2.name, b, { label: deepCls }, deep),
      entry(finetune.name, b, { label: ft }),
    ],
  };
}

/** Beside P-tuning v2's prefix-length sweep: the input-layer soft prompt's length P = 1..64 at K = 16 (ci: 1, 4, 16 at K = 4). */
export function softPromptLengthGrid(b: Budget): Grid {
  const promptLength = b === "ci" ? [1, 4, 16] : [1, 2, 4, 8, 16, 32, 64];
  return {
    ...sampled("soft_prompt_length", b, { ci: [4], full: [16] }),
    methods: [entry(softPrompt.name, b, { grid: { promptLength } }, { template: SOFT_TEMPLATE.text, verbalizer: "good-bad" })],
  };
}

/** The grid name of leave-one-task-out's few-shot references (`zeroprompt_fewshot-<task>`), drawn beside the transfer. */
export const ZEROPROMPT_FEWSHOT_GRID = "zeroprompt_fewshot";

/**
 * Leave-one-task-out's few-shot references on a held-out task: PET and fine-tuning at K = 16 with five seeds and
 * their defaults (ci: K = 4, one seed, the ci presets), PET's pair presets on a pair task that registers no prompt
 * of its own (BUSTM), as in the benchmark; on a text-to-text base model (`textToText`: capability `text-to-text`),
 * the text-to-text method's default mode (fine-tuning) instead, on the task's own prompt where it registers one.
 */
export function zeropromptFewShotGrid(b: Budget, dataset: string, textToText = false): Grid {
  const task = getTask(dataset);
  const pairs = task.pair && !task.prompt;
  return {
    name: `${ZEROPROMPT_FEWSHOT_GRID}-${dataset}`,
    dataset,
    protocol: { kind: "sampled", k: b === "ci" ? [4] : [16], seeds: SEEDS[b] },
    methods: textToText
      ? [entry(text2text.name, b, {}, { mode: text2text.defaults.mode })]
      : [entry(pet.name, b, {}, pairs ? pet.presets.pairs : {}), entry(finetune.name, b)],
  };
}
