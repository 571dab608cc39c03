/**
 * The kit's side of `pretrain-tiny`: the kit's own pre-training loop (`pretrain()`, from scratch at the
 * embedded model's shape, 4 x 256, over the 32/64/128 length buckets) for a fixed number of steps on the
 * mirror's corpus, with resident memory read after every step. It writes the batch plan (each step's rows,
 * length and real sequence lengths) for torch_baseline.py to run the same loop.
 */
import { pretrainingCorpus } from "../lib/pretrain/corpus.ts";
import { pretrain, PRETRAIN_DEFAULTS } from "../lib/pretrain/pretrain.ts";
import { BucketedBatches } from "../lib/pretrain/mlm_batches.ts";
import { maskCapacity } from "../lib/model/masking.ts";
import { encodeTexts } from "../lib/model/batch.ts";
import { loadTokenizer } from "../lib/model/tokenizers/tokenizer.ts";
import { threadCount } from "../lib/engine/session.ts";
import { peakRssMb, round, rssMb } from "./measure.ts";

/** Held-out texts scored once at the end (memory of the evaluator sessions included, time excluded). */
const HELDOUT = 200;

/** Run `steps` pre-training steps; write the plan to `planPath`. */
export async function kitPretrain(steps: number, planPath: string) {
  const corpus = await pretrainingCorpus({ heldout: HELDOUT });
  const out = await Deno.makeTempDir({ prefix: "bench-pretrain-" });
  const stamps: number[] = [], rss: number[] = [];
  try {
    const r = await pretrain({
      out: `${out}/model`,
      corpus,
      steps,
      warmupSteps: Math.min(10, steps - 1),
      evalEvery: steps + 1,
      checkpointMinutes: 1e6,
      onProgress: () => {
        stamps.push(performance.now());
        rss.push(rssMb());
      },
    });
    // The batches pretrain() drew: epoch 0 of the same bucketing with the same seed and tokenizer.
    const tok = await loadTokenizer(`${out}/model`);
    const { tokensPerBatch, seed, maxLength } = PRETRAIN_DEFAULTS;
    const seqs = encodeTexts(tok, corpus.train, maxLength).seqs;
    const plan = new BucketedBatches(seqs, tokensPerBatch, seed, maxLength).epoch(0).slice(0, r.steps).map((b) => ({
      rows: b.rows,
      length: b.length,
      capacity: maskCapacity(b.rows, b.length),
      lengths: b.seqs.map((q) => q.ids.length),
    }));
    await Deno.writeTextFile(planPath, JSON.stringify({ vocab_size: r.config.vocab_size, steps: plan }));
    // Timed: every step but the first of each shape (which compiles its session).
    const seen = new Set<string>();
    let tokens = 0, seconds = 0, shortest = Infinity;
    plan.forEach((b, i) => {
      const key = `${b.rows}:${b.length}`;
      if (!seen.has(key)) return void seen.add(key);
      tokens += b.lengths.reduce((s, n) => s + n, 0);
      const step = (stamps[i] - stamps[i - 1]) / 1000;
      seconds += step;
      shortest = Math.min(shortest, step);
    });
    // Memory flatness: from the first step after every shape has run once to the last step.
    const lastFirst = Math.max(...[...seen].map((k) => plan.findIndex((b) => `${b.rows}:${b.length}` === k)));
    const first = rss[lastFirst + 1] ?? rss.at(-1)!, last = rss.at(-1)!;
    return {
      tokens_per_s: round(tokens / seconds),
      steps: r.steps,
      shapes: [...seen],
      timed_steps: r.steps - seen.size,
      step_s_min: round(shortest, 4),
      rss_first_mb: first,
      rss_last_mb: last,
      rss_growth: round(last / first - 1, 3),
      rss_per_step_mb: rss,
      heldout_loss: round(r.heldout.loss, 4),
      threads: threadCount(),
      peak_rss_mb: peakRssMb(),
    };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}
