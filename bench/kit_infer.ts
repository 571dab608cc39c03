/**
 * The kit's side of `infer-base`: zero-shot PET (FewCLUE's EPRSTMT template and verbalizer) scoring the
 * EPRSTMT `test_public` texts with a random model of bert-base-chinese's shape, through the PET method's own
 * predictor. A first pass compiles the sessions of the length buckets; the second is timed (the predictor keeps
 * nothing between calls, so it scores every text again; the bench checks its rate). It writes the
 * packed batches (token ids, mask rows, verbalizer ids) for torch_baseline.py to score the same inputs.
 */
import { loadTexts } from "../lib/data/load.ts";
import { threadCount } from "../lib/engine/session.ts";
import { getMethod } from "../lib/methods/registry.ts";
import { chunks, packBatch, SCORING_LENGTH_BUCKETS } from "../lib/model/batch.ts";
import { encodePrompts, maskRows, resolveTemplate } from "../lib/methods/pet/template.ts";
import { buildVerbalizer } from "../lib/methods/pet/verbalizer.ts";
import { PET_DEFAULTS } from "../lib/methods/pet/pet.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { bertBaseChineseConfig, writeRandomModelFolder } from "../lib/model/bert/random.ts";
import { encoderForwardFlops } from "./flops.ts";
import { peakRssMb, round } from "./measure.ts";

const LABELS = ["Positive", "Negative"];

/** Score the texts twice, time the second pass; write the batches to `planPath`. */
export async function kitInfer(planPath: string) {
  const texts = (await loadTexts("eprstmt", "test_public")).map((r) => r.text);
  const dir = await Deno.makeTempDir({ prefix: "bench-infer-" });
  try {
    await writeRandomModelFolder(dir, bertBaseChineseConfig(), { seed: 42 });
    const model = await loadModelFolder(dir);
    const o = { ...PET_DEFAULTS, mode: "zero-shot" as const };
    const { predictor } = await getMethod("pet").create(model, LABELS, o).fit([], []);
    await predictor.predictProba(texts);
    const t = performance.now();
    const proba = await predictor.predictProba(texts);
    const seconds = (performance.now() - t) / 1000;

    const v = buildVerbalizer(model.tokenizer, LABELS, o.verbalizer);
    const seqs =
      encodePrompts(model.tokenizer, resolveTemplate(o.template), texts, { maskCount: v.maskCount, maxLength: o.maxLength }).seqs;
    const batches = chunks(seqs, o.evalBatchSize).map((part) => {
      const b = packBatch(part, { batch: o.evalBatchSize, maxLength: o.maxLength });
      return {
        seq: b.seqLen,
        real: b.real,
        ids: Array.from(b.inputIds, Number),
        mask: Array.from(b.attentionMask),
        rows: Array.from(maskRows(b, model.tokenizer.specialIds.mask, v.maskCount), Number),
      };
    });
    const words = v.words.map((ws) => ws.map((w) => w.ids));
    // The encoder over the batches the predictor runs (length-sorted, padded to the scoring buckets, as
    // predictBatches packs them), its last layer counted in full: an upper bound of the timed pass's work.
    const sorted = [...seqs].sort((a, b) => a.ids.length - b.ids.length);
    const flops = chunks(sorted, o.evalBatchSize).reduce((sum, part) => {
      const { seqLen } = packBatch(part, { batch: o.evalBatchSize, maxLength: o.maxLength, buckets: SCORING_LENGTH_BUCKETS });
      return sum + encoderForwardFlops(model.config, o.evalBatchSize, seqLen);
    }, 0);
    await Deno.writeTextFile(planPath, JSON.stringify({ batch: o.evalBatchSize, mask_count: v.maskCount, words, batches }));
    return {
      texts_per_s: round(texts.length / seconds, 3),
      seconds: round(seconds, 2),
      step_s_min: round(seconds, 4),
      gflops_per_s: round(flops / seconds / 1e9, 2),
      texts: texts.length,
      batches: batches.length,
      first_proba: proba[0].map((p) => round(p, 4)),
      threads: threadCount(),
      peak_rss_mb: peakRssMb(),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
