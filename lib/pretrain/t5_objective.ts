/**
 * Span-corruption pre-training of a T5 for the loop (`pretrain.ts`, `--arch t5`): T5 v1.1's layout (gated-GELU
 * feed-forward, untied head, RMS norm, 32 relative-position buckets up to distance 128), from scratch on a
 * character-level Unigram vocabulary built from the corpus (`t5_vocab.ts`), on a given T5 tokenizer, or continued
 * from a T5 folder. Each pass corrupts its texts afresh (`span_corruption.ts`); the held-out score is the
 * span-corruption loss and target-token accuracy on fixed spans.
 * @module
 */
import type { GradientStep } from "../engine/gradient_step.ts";
import type { TokenSeq } from "../model/batch.ts";
import { readJsonFile } from "../util/json_file.ts";
import { parseT5Config, readT5Config, type T5Config } from "../model/t5/config.ts";
import { loadT5Folder } from "../model/t5/folder.ts";
import { loadT5Tokenizer, type T5Tokenizer } from "../model/t5/tokenizer.ts";
import { LM_HEAD, randomT5Weights } from "../model/t5/weights.ts";
import { writeSafetensors } from "../model/formats/safetensors.ts";
import { exists } from "../util/fs.ts";
import { mixSeed, Rng } from "../util/rng.ts";
import type { TensorMap } from "../util/tensor.ts";
import type { HeldoutResult } from "./heldout.ts";
import { BucketedBatches } from "./mlm_batches.ts";
import type { ModelOptions, ModelStart, PretrainArch, PretrainObjective } from "./objective.ts";
import { noiseCounts } from "./span_corruption.ts";
import { packSpanBatch, SpanEvaluator, spanTrainStep } from "./span_graph.ts";
import { t5Pieces, t5TokenizerFiles } from "./t5_vocab.ts";

/**
 * Sizes of a new T5 when none are given: about the parameter count of the default BERT
 * (`models/promptlab-bert-zh-L4-H256`, 4.38M): d_model 192, 4 heads of 48, gated d_ff 768, 2 encoder and 2
 * decoder blocks make 4.36M with the corpus' 4436-piece vocabulary (its two embedding matrices are 1.7M).
 */
export const T5_SIZES = { layers: 2, hidden: 192, heads: 4, intermediate: 768 } as const;

/** Tokenizer files a T5 folder may hold besides config and weights. */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

/** The tokenizer files of folder `dir`, as text. */
async function tokenizerFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of TOKENIZER_FILES) if (await exists(`${dir}/${name}`)) files[name] = await Deno.readTextFile(`${dir}/${name}`);
  return files;
}

/**
 * Refuse a tokenizer without the sentinels span corruption of texts up to `maxLength` tokens needs.
 * @throws InputError naming the tokenizer.json.
 */
function checkSentinels(tokenizer: T5Tokenizer, maxLength: number): void {
  tokenizer.sentinel(noiseCounts(maxLength).spans - 1);
}

/** config.json of a new T5 of the option's sizes (`d_kv` = hidden / heads). */
export function newT5Config(
  o: Pick<ModelOptions, "layers" | "hidden" | "heads" | "intermediate">,
  vocabSize: number,
): Record<string, unknown> {
  return {
    architectures: ["T5ForConditionalGeneration"],
    model_type: "t5",
    vocab_size: vocabSize,
    d_model: o.hidden,
    d_kv: o.hidden / o.heads,
    d_ff: o.intermediate,
    num_layers: o.layers,
    num_decoder_layers: o.layers,
    num_heads: o.heads,
    relative_attention_num_buckets: 32,
    relative_attention_max_distance: 128,
    dropout_rate: 0.1,
    layer_norm_epsilon: 1e-6,
    initializer_factor: 1.0,
    feed_forward_proj: "gated-gelu",
    tie_word_embeddings: false,
    is_encoder_decoder: true,
    pad_token_id: 0,
    eos_token_id: 1,
    decoder_start_token_id: 0,
  };
}

/** Config, weights and tokenizer files of the T5 to train, fresh or continued. */
async function start(o: ModelOptions, train: readonly string[]): Promise<ModelStart> {
  if (o.from) {
    const m = await loadT5Folder(o.from);
    checkSentinels(m.tokenizer, o.maxLength);
    const config = await readJsonFile(`${m.dir}/config.json`);
    return { files: { ...(await tokenizerFiles(m.dir)), "config.json": JSON.stringify(config, null, 2) + "\n" }, weights: m.weights };
  }
  let files: Record<string, string>, vocabSize: number;
  if (o.tokenizer) {
    const given = await loadT5Tokenizer(o.tokenizer);
    checkSentinels(given, o.maxLength);
    [files, vocabSize] = [await tokenizerFiles(o.tokenizer), given.vocabSize];
  } else {
    const pieces = t5Pieces(train, { minFreq: o.minFreq });
    [files, vocabSize] = [t5TokenizerFiles(pieces), pieces.length];
  }
  const json = newT5Config(o, vocabSize);
  const config = parseT5Config(json);
  const weights = randomT5Weights(config, o.seed);
  scaleHead(weights, config);
  return { files: { ...files, "config.json": JSON.stringify(json, null, 2) + "\n" }, weights };
}

/**
 * Rescale a new untied head to std d_model^-0.5. Hugging Face draws it with std 1 (its `_init_weights`), so
 * the first logits of the unit-scale states have std √d_model: a first span-corruption loss of 54 at the default
 * size (measured), which the run spends its first hundreds of steps undoing. The tied head of the original T5
 * multiplies the states by d_model^-0.5 for the same reason.
 */
function scaleHead(weights: TensorMap, config: T5Config): void {
  const head = weights.get(LM_HEAD);
  if (!head || config.tie_word_embeddings) return;
  const scale = config.d_model ** -0.5;
  for (let i = 0; i < head.data.length; i++) head.data[i] *= scale;
}

/** Text ids (no `</s>`) of each non-empty text, cut to `maxLength`. */
function encodeTexts(tokenizer: T5Tokenizer, texts: readonly string[], maxLength: number): TokenSeq[] {
  return texts.map((t) => ({ ids: tokenizer.encode(t, { eos: false }).slice(0, maxLength) })).filter((s) => s.ids.length > 0);
}

/** Held-out texts are corrupted with this seed, the same spans for every model and every evaluation. */
const HELDOUT_SEED = 1234;

/** The span-corruption objective on the output folder's T5. */
async function open(o: ModelOptions, weights: TensorMap, corpus: { train: readonly string[]; heldout: readonly string[] }) {
  const config: T5Config = await readT5Config(`${o.out}/config.json`);
  const tokenizer = await loadT5Tokenizer(o.out);
  checkSentinels(tokenizer, o.maxLength);
  const vocab = { sentinel: (i: number) => tokenizer.sentinel(i), eos: tokenizer.eos, pad: tokenizer.pad };
  const steps = new Map<string, Promise<GradientStep>>();
  const evaluator = new SpanEvaluator(config, weights);
  const heldoutBatches = new BucketedBatches(encodeTexts(tokenizer, corpus.heldout, o.maxLength), 8192, HELDOUT_SEED, o.maxLength).epoch(0);
  const objective: PretrainObjective = {
    config,
    seqs: encodeTexts(tokenizer, corpus.train, o.maxLength),
    maxLength: o.maxLength,
    async pass(part, rows, length, { rng, dropoutSeed }) {
      const batch = packSpanBatch(part, rows, length, rng, vocab, config);
      const key = `${rows}:${length}`;
      if (!steps.has(key)) steps.set(key, spanTrainStep(config, weights, batch));
      const r = await (await steps.get(key)!).run(weights, { ...batch.feeds, dropout_seed: dropoutSeed });
      return { loss: r.loss, grads: r.grads, count: batch.targets };
    },
    async heldout(): Promise<HeldoutResult> {
      let lossSum = 0, correct = 0, count = 0;
      for (const [i, b] of heldoutBatches.entries()) {
        const r = await evaluator.run(packSpanBatch(b.seqs, b.rows, b.length, new Rng(mixSeed(HELDOUT_SEED, i)), vocab, config));
        [lossSum, correct, count] = [lossSum + r.lossSum, correct + r.correct, count + r.count];
      }
      return { loss: lossSum / count, accuracy: correct / count, masked: count, texts: corpus.heldout.length };
    },
    save: () => writeSafetensors(`${o.out}/model.safetensors`, weights),
    async release() {
      await evaluator.release();
      for (const s of steps.values()) await (await s).release();
    },
  };
  return objective;
}

/** T5 with the span-corruption objective. */
export const t5Pretraining: PretrainArch = { start, open };
