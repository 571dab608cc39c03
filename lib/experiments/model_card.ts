/**
 * Comparing pre-trained models on equal terms, and the model card that reports it: held-out masked-LM loss and
 * accuracy on the same held-out text with the same masking seed, zero-shot PET on EPRSTMT's test set for a
 * few patterns, and few-shot results over FewCLUE's official splits.
 */
import type { SourceOptions } from "../data/sources.ts";
import { STD_LABEL } from "../eval/summary.ts";
import { runProtocol, type RunSummary } from "./fewclue_run.ts";
import { loadModelFolder } from "../model/folder.ts";
import { baseParameterCount } from "../model/parameter_count.ts";
import { pretrainingCorpus } from "../pretrain/corpus.ts";
import { corpusDefinition, DEFAULT_CORPUS } from "../pretrain/corpora.ts";
import { heldoutMlm, type HeldoutResult } from "../pretrain/heldout.ts";
import { pet } from "../methods/pet/pet.ts";
import { modelBaseName } from "./results.ts";
import { EMBEDDED_MODEL, repoRelative } from "./setup.ts";
import { percent } from "../util/format.ts";

/** Zero-shot PET patterns of the comparison (presets of `lib/methods/pet/template.ts` and `verbalizer.ts`). */
export const CARD_PATTERNS = [
  { template: "fewclue", verbalizer: "fewclue" },
  { template: "review", verbalizer: "multi-char" },
  { template: "zongzhi", verbalizer: "good-bad" },
] as const;

/** One model's row of the comparison. */
export interface ModelComparison {
  name: string;
  dir: string;
  parameters: number;
  heldout: HeldoutResult;
  zeroShot: { template: string; verbalizer: string; accuracy: number; macroF1: number }[];
  fewShot: RunSummary[];
}

/** Options of {@link compareModels}. */
export interface CompareOptions {
  source?: SourceOptions;
  /** Methods run over FewCLUE's splits for the few-shot rows (default options each). */
  fewShotMethods: string[];
  /** FewCLUE split indices (default all five). */
  splits?: number[];
  onStatus?: (text: string) => void;
}

/** Score each model folder on the same held-out text, zero-shot patterns and few-shot splits. */
export async function compareModels(dirs: readonly string[], o: CompareOptions): Promise<ModelComparison[]> {
  const { heldout } = await pretrainingCorpus({ ...o.source });
  const out: ModelComparison[] = [];
  for (const dir of dirs) {
    const model = await loadModelFolder(dir);
    const name = dir.replace(/\/+$/, "").replace(/^.*\//, "");
    o.onStatus?.(`${name}: held-out masked LM on ${heldout.length} texts`);
    const row: ModelComparison = {
      name,
      dir: repoRelative(dir), // committed beside the model: no machine's folders
      parameters: baseParameterCount(model.weights),
      heldout: await heldoutMlm(model, heldout),
      zeroShot: [],
      fewShot: [],
    };
    for (const p of CARD_PATTERNS) {
      o.onStatus?.(`${name}: zero-shot PET ${p.template}/${p.verbalizer}`);
      const { summary } = await runProtocol({
        method: pet.name,
        dataset: "eprstmt",
        protocol: { kind: "fewclue", indices: [0] },
        model,
        options: { mode: "zero-shot", ...p },
        source: o.source,
      });
      row.zeroShot.push({ ...p, accuracy: summary.accuracyMean, macroF1: summary.macroF1Mean });
    }
    for (const method of o.fewShotMethods) {
      o.onStatus?.(`${name}: ${method} over FewCLUE splits`);
      const { summary } = await runProtocol({
        method,
        dataset: "eprstmt",
        protocol: { kind: "fewclue", indices: o.splits },
        model,
        source: o.source,
      });
      row.fewShot.push(summary);
    }
    out.push(row);
  }
  return out;
}

/** The comparison as Markdown tables. */
export function comparisonTables(rows: readonly ModelComparison[]): string {
  const lines = [
    "| model | parameters | held-out MLM loss | held-out MLM accuracy | masked tokens |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.name} | ${r.parameters.toLocaleString("en")} | ${r.heldout.loss.toFixed(3)} | ${
        r.heldout.accuracy.toFixed(3)
      } | ${r.heldout.masked} |`
    ),
    "",
    "Zero-shot PET on EPRSTMT test_public (610 reviews), accuracy / macro-F1 (%):",
    "",
    `| model | ${CARD_PATTERNS.map((p) => `${p.template} / ${p.verbalizer}`).join(" | ")} |`,
    `| --- | ${CARD_PATTERNS.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.name} | ${r.zeroShot.map((z) => `${percent(z.accuracy)} / ${percent(z.macroF1)}`).join(" | ")} |`),
  ];
  const methods = [...new Set(rows.flatMap((r) => r.fewShot.map((f) => f.method)))];
  if (methods.length) {
    lines.push(
      "",
      `Few-shot on EPRSTMT, FewCLUE splits (train_i, selection on dev_i), test_public accuracy mean ± ${STD_LABEL} (%):`,
      "",
      `| model | ${methods.join(" | ")} |`,
      `| --- | ${methods.map(() => "---").join(" | ")} |`,
      ...rows.map((r) =>
        `| ${r.name} | ${
          methods.map((m) => {
            const f = r.fewShot.find((x) => x.method === m);
            return f ? `${percent(f.accuracyMean)} ± ${percent(f.accuracyStd)} (${f.splits} splits)` : "";
          }).join(" | ")
        } |`
      ),
    );
  }
  return lines.join("\n");
}

/** What `training_log.json` holds (see `pretrain.ts`). */
export interface TrainingLog {
  steps: number;
  tokensSeen: number;
  seconds: number;
  heldout: HeldoutResult;
  log: Record<string, number>[];
  corpus: Record<string, unknown>;
  options: Record<string, unknown>;
  /** onnxruntime intra-op threads of the run. */
  threads?: number;
  /** Earlier stages, for a run continued from a model the kit pre-trained (`--from`), oldest first. */
  stages?: TrainingLog[];
}

/** One stage's budget and its log as Markdown. */
function stageSection(title: string, log: TrainingLog): string {
  const o = log.options;
  const rss = log.log.map((e) => e.rss_mb);
  return `### ${title}

AdamW (lr ${o.lr}, betas 0.9/${o.beta2}, weight decay ${o.weightDecay}, none on biases and LayerNorm), ${o.warmupSteps} warmup
steps then linear decay, gradient clipping 1.0, dropout 0.1, seed ${o.seed}, about ${o.tokensPerBatch} tokens per batch,
${log.threads ?? "?"} onnxruntime thread(s);
${o.minutes ? `a wall-clock budget of ${o.minutes} minutes fixed the step count once warmup had measured the speed` : `${o.steps} steps`}${
    o.from ? `; continued from \`${o.from}\`` : ""
  }. **${log.steps} steps, ${log.tokensSeen.toLocaleString("en")} tokens, ${(log.seconds / 60).toFixed(1)} minutes,
${Math.round(log.tokensSeen / log.seconds)} tokens/s** on average; resident memory between ${Math.min(...rss)} and
${Math.max(...rss)} MB from the first held-out evaluation to the last.

| step | tokens | minutes | tokens/s | train loss | held-out loss | held-out accuracy | RSS (MB) |
| --- | --- | --- | --- | --- | --- | --- | --- |
${
    log.log.map((e) =>
      `| ${e.step} | ${e.tokens} | ${
        (e.seconds / 60).toFixed(1)
      } | ${e.tokens_per_s} | ${e.train_loss} | ${e.heldout_loss} | ${e.heldout_acc} | ${e.rss_mb} |`
    ).join("\n")
  }`;
}

/** What the model is to the kit: the embedded default, or one size of the family beside it. */
function role(name: string): string {
  const embedded = modelBaseName(EMBEDDED_MODEL);
  return name === embedded
    ? "the\nkit's embedded default model: what `deno task demo` and the notebooks use when no other model is given."
    : `one size\nof the kit's model family (the folders under \`models/\`; the embedded default is \`${embedded}\`).`;
}

/** The stages of a training log, oldest first (earlier stages of a model continued with `--from`, then its own). */
function stagesOf(log: TrainingLog): TrainingLog[] {
  return [...(log.stages ?? []), log];
}

/** The card's corpus section: what the first stage trained on (a log without a corpus name predates them: `reviews-v1`). */
export function corpusSection(log: TrainingLog): string {
  const corpus = stagesOf(log)[0].corpus as {
    name?: string;
    sources?: Record<string, number>;
    train?: number;
    heldout?: number;
    characters?: number;
    duplicates?: number;
    decontaminated?: number;
  };
  const def = corpusDefinition(corpus.name ?? DEFAULT_CORPUS);
  const kept = def.banEveryEvalSplit
    ? "or of any registered task's evaluation split (dev, test_public, test)"
    : "or of the source task's own evaluation split";
  const heldout = def.heldoutFrom
    ? `the held-out texts of \`${def.heldoutFrom}\` that this corpus keeps, so no model of the family trained on them`
    : "the first texts in corpus order, EPRSTMT\nunlabeled first, the same rule the reference model's held-out set followed";
  return `## Corpus

Corpus \`${def.name}\` (\`lib/pretrain/corpora.ts\`). ${def.description} Texts were
de-duplicated across sources (${corpus.duplicates ?? "?"} repeats) and every sentence of an EPRSTMT labelled split
(train, dev, test_public, test) ${kept} was removed (${corpus.decontaminated ?? "?"}).
Labels were never read. Per source: ${Object.entries(corpus.sources ?? {}).map(([k, v]) => `${k} ${v}`).join(", ")}.
${corpus.train ?? "?"} training texts, ${corpus.heldout ?? "?"} held out (${heldout}), ${corpus.characters ?? "?"} characters in all.`;
}

/** The card's training section: the objective (`objective`, a sentence start), the totals and each stage's log. */
export function trainingSection(log: TrainingLog, objective: string): string {
  const all = stagesOf(log);
  return `## Training

${objective}, length buckets of 32,
64 and 128 tokens, on a 2-core CPU machine. In all:
**${all.reduce((n, l) => n + l.steps, 0)} steps, ${all.reduce((n, l) => n + l.tokensSeen, 0).toLocaleString("en")} tokens,
${(all.reduce((n, l) => n + l.seconds, 0) / 60).toFixed(1)} minutes**.

${all.map((l, i) => stageSection(all.length > 1 ? `Stage ${i + 1}` : "The run", l)).join("\n\n")}`;
}

/** The model card (README.md) of a model the kit pre-trained, with its comparison to others. */
export function modelCard(name: string, config: Record<string, unknown>, log: TrainingLog, rows: readonly ModelComparison[]): string {
  const o = stagesOf(log)[0].options;
  return `# ${name}

A small Chinese BERT (masked LM) pre-trained from scratch by promptlab itself (\`deno task cli pretrain\`), ${role(name)}
Hugging Face layout (config.json, model.safetensors, tokenizer.json, vocab.txt).

## Architecture

BertForMaskedLM, ${config.num_hidden_layers} layers, hidden ${config.hidden_size}, ${config.num_attention_heads} heads, intermediate
${config.intermediate_size}, ${config.max_position_embeddings} positions, vocabulary ${config.vocab_size}, post-LN, erf GELU,
LayerNorm eps ${config.layer_norm_eps}, decoder tied to the word embeddings, no pooler (a masked-LM checkpoint: loaders initialise
one, as Hugging Face does). ${rows[0]?.parameters.toLocaleString("en") ?? "?"} parameters.

Tokenizer: a character-level WordPiece vocabulary built from the training corpus (every character seen at least
${o.minFreq} times; Latin and digit runs split into a first character and \`##\` pieces), BertNormalizer with lower
case and Chinese-character splitting; \`[PAD]\`=0, \`[UNK]\`=1, \`[CLS]\`=2, \`[SEP]\`=3, \`[MASK]\`=4.

${corpusSection(log)}

${trainingSection(log, "Dynamic masking (15% of the tokens of each batch, 80% [MASK] / 10% random / 10% kept)")}

## Comparison with the reference model

\`../shared/models/zh-review-bert-tiny\` has the same architecture and was pre-trained with PyTorch on the same
kind of corpus (80 minutes, 14.8M tokens, 3079 tokens/s on 2 dedicated threads, per its training log). Both are
scored by \`deno task cli model-card\` on the same held-out texts with the same masking seed (each with its own
tokenizer), and on EPRSTMT with the kit's methods:

${comparisonTables(rows)}

## Intended use and limits

A small model for experiments with the kit on CPUs: it is far weaker than 12-layer Chinese BERTs, its context is
${config.max_position_embeddings} tokens (so P-tuning v2 prefixes and inputs share those positions), and its corpus is
e-commerce, hotel, food-delivery reviews and news titles. Not for production use.
`;
}
