/**
 * The kit's side of `train-t5-tiny`: teacher-forced training steps of the kit's default pre-training T5 (the size
 * of `pretrain --arch t5`) on the shapes of span corruption's longest bucket, random tokens, dropout off (the
 * PyTorch T5 of `tools/t5_reference.py` has none). A step is forward, loss, backward, clipping at 1.0 and AdamW.
 */
import { threadCount } from "../lib/engine/session.ts";
import { GraphParams } from "../lib/model/params.ts";
import { parseT5Config } from "../lib/model/t5/config.ts";
import { buildT5Loss, shiftRight } from "../lib/model/t5/loss.ts";
import { randomT5Weights } from "../lib/model/t5/weights.ts";
import { spanCorruptedCapacity } from "../lib/pretrain/span_corruption.ts";
import { newT5Config, T5_SIZES } from "../lib/pretrain/t5_objective.ts";
import { Rng } from "../lib/util/rng.ts";
import { peakRssMb, round } from "./measure.ts";
import { type StepShape, timeTraining } from "./kit_train.ts";

/** Vocabulary of the kit's T5 on the mirror's corpus (characters seen 3 times, specials, 100 sentinels). */
export const T5_BENCH_VOCAB = 4436;

/**
 * Time the steps; `plan` receives the config and shapes for the PyTorch side. Rows are `s.seq`-token texts
 * corrupted: inputs and targets at span corruption's capacity for that length; tokens/s counts the texts' tokens.
 */
export async function kitT5Step(s: StepShape, plan: string) {
  const json = { ...newT5Config(T5_SIZES, T5_BENCH_VOCAB), dropout_rate: 0 };
  const config = parseT5Config(json);
  const { inputs: src, targets: tgt } = spanCorruptedCapacity(s.seq);
  await Deno.writeTextFile(plan, JSON.stringify({ config: json, batch: s.batch, seq: s.seq, src, tgt }));
  const weights = randomT5Weights(config, 42), rng = new Rng(42);
  const ids = (n: number) => Array.from({ length: n }, () => rng.int(config.vocab_size));
  const labels = Array.from({ length: s.batch }, () => ids(tgt));
  const feeds = {
    input_ids: BigInt64Array.from(ids(s.batch * src), BigInt),
    attention_mask: new Float32Array(s.batch * src).fill(1),
    decoder_input_ids: BigInt64Array.from(shiftRight(labels, config).flat(), BigInt),
    labels: BigInt64Array.from(labels.flat(), BigInt),
  };
  const r = await timeTraining(
    weights,
    (g) => {
      const params = new GraphParams(g, weights, () => true);
      return { loss: buildT5Loss(g, config, params.get, { batch: s.batch, srcLen: src, tgtLen: tgt, train: false }).loss, params };
    },
    () => feeds,
    s,
  );
  return {
    tokens_per_s: round(s.batch * s.seq / r.stepSeconds),
    step_s_median: round(r.stepSeconds, 4),
    step_s_min: round(r.minSeconds, 4),
    build_s: round(r.buildSeconds, 2),
    src_len: src,
    tgt_len: tgt,
    parameters: [...weights.values()].reduce((n, w) => n + w.data.length, 0),
    final_loss: round(r.loss, 4),
    threads: threadCount(),
    peak_rss_mb: peakRssMb(),
  };
}
