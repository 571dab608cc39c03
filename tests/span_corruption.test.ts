/**
 * T5's span corruption against hand-worked cases and the reference's formulas, and the kit-made T5 tokenizer
 * read back by transformers.js.
 */
import assert from "node:assert/strict";
import { AutoTokenizer } from "@huggingface/transformers";
import { loadTexts } from "../lib/data/load.ts";
import { loadT5Tokenizer } from "../lib/model/t5/tokenizer.ts";
import { noiseCounts, randomSpansNoiseMask, spanCorrupt, spanCorruptedCapacity } from "../lib/pretrain/span_corruption.ts";
import { t5Pieces, t5TokenizerFiles } from "../lib/pretrain/t5_vocab.ts";
import { packSpanBatch } from "../lib/pretrain/span_graph.ts";
import { Rng } from "../lib/util/rng.ts";

/** Lengths of the runs of equal values of `mask`, with the value of each. */
function runs(mask: readonly boolean[]): { noise: boolean; length: number }[] {
  const out: { noise: boolean; length: number }[] = [];
  for (const m of mask) {
    if (out.at(-1)?.noise === m) out.at(-1)!.length++;
    else out.push({ noise: m, length: 1 });
  }
  return out;
}

Deno.test("span corruption counts: round(length·0.15) noise tokens in round(noise/3) spans, half to even", () => {
  // Hand-worked: 100 tokens -> 15 noise in 5 spans; 10 -> 1.5 rounds to 2, in 2/3 -> 1 span; 30 -> 4.5 -> 4 noise, 1 span.
  assert.deepEqual(noiseCounts(100), { noise: 15, spans: 5 });
  assert.deepEqual(noiseCounts(10), { noise: 2, spans: 1 });
  assert.deepEqual(noiseCounts(30), { noise: 4, spans: 1 });
  assert.deepEqual(noiseCounts(50), { noise: 8, spans: 3 }); // 7.5 -> 8, 8/3 -> 3
  assert.deepEqual(noiseCounts(3), { noise: 1, spans: 1 }); // at least one noise token
  assert.deepEqual(noiseCounts(1), { noise: 1, spans: 1 }); // a length below 2 counts as 2
  assert.deepEqual(spanCorruptedCapacity(128), { inputs: 128 - 19 + 6 + 1, targets: 19 + 6 + 1 });
});

Deno.test("span corruption mask: non-noise first, spans alternate, the counts of the reference, seeded", () => {
  for (const length of [2, 5, 17, 64, 100, 128]) {
    for (let seed = 0; seed < 20; seed++) {
      const mask = randomSpansNoiseMask(length, new Rng(seed));
      const { noise, spans } = noiseCounts(length);
      assert.equal(mask.length, length);
      assert.equal(mask.filter(Boolean).length, noise, `length ${length} seed ${seed}`);
      const r = runs(mask);
      assert.equal(r[0].noise, false);
      assert.equal(r.at(-1)!.noise, true);
      assert.equal(r.filter((x) => x.noise).length, spans);
      assert.equal(r.length, 2 * spans);
      assert.deepEqual(randomSpansNoiseMask(length, new Rng(seed)), mask);
    }
  }
  // Different seeds place the spans differently.
  const masks = new Set(Array.from({ length: 10 }, (_, s) => randomSpansNoiseMask(100, new Rng(s)).join()));
  assert.ok(masks.size > 5);
});

Deno.test("span corruption: inputs and targets as T5 builds them", () => {
  const SENTINEL = 1000, EOS = 1;
  const vocab = { sentinel: (i: number) => SENTINEL - i, eos: EOS };
  const ids = Array.from({ length: 40 }, (_, i) => 10 + i);
  for (let seed = 0; seed < 30; seed++) {
    const mask = randomSpansNoiseMask(ids.length, new Rng(seed));
    const { inputs, targets } = spanCorrupt(ids, new Rng(seed), vocab);
    // Hand-built expectation from the mask: every noise run becomes sentinel i in the inputs; the targets hold
    // sentinel i followed by that run.
    const expectIn: number[] = [], expectOut: number[] = [];
    let span = -1;
    ids.forEach((id, i) => {
      if (!mask[i]) return void expectIn.push(id);
      if (i === 0 || !mask[i - 1]) {
        span++;
        expectIn.push(SENTINEL - span);
        expectOut.push(SENTINEL - span);
      }
      expectOut.push(id);
    });
    assert.deepEqual(inputs, [...expectIn, EOS]);
    assert.deepEqual(targets, [...expectOut, EOS]);
    // Sentinels in order, never two adjacent in the inputs; every token in exactly one of inputs and targets.
    const sentinelsIn = inputs.filter((t) => t > SENTINEL - 100 && t <= SENTINEL);
    assert.deepEqual(sentinelsIn, sentinelsIn.map((_, i) => SENTINEL - i));
    assert.deepEqual(targets.filter((t) => t > SENTINEL - 100 && t <= SENTINEL), sentinelsIn);
    for (let i = 1; i < inputs.length; i++) assert.ok(!(inputs[i] > SENTINEL - 100 && inputs[i - 1] > SENTINEL - 100));
    const text = (xs: number[]) => xs.filter((t) => t >= 10 && t < 50);
    assert.deepEqual([...text(inputs), ...text(targets)].sort((a, b) => a - b), ids);
    assert.equal(text(targets).length, noiseCounts(40).noise);
    const cap = spanCorruptedCapacity(40);
    assert.ok(inputs.length <= cap.inputs && targets.length <= cap.targets);
  }
});

Deno.test("span batches: corrupted rows packed at the bucket's capacity, padding masked and ignored, decoder fed labels shifted", () => {
  const vocab = { sentinel: (i: number) => 1000 - i, eos: 1, pad: 0 };
  const seqs = [{ ids: Array.from({ length: 32 }, (_, i) => 10 + i) }, { ids: [10, 11, 12, 13, 14] }];
  const b = packSpanBatch(seqs, 3, 32, new Rng(5), vocab, { decoder_start_token_id: 0, pad_token_id: 0 });
  const rng = new Rng(5), examples = seqs.map((s) => spanCorrupt(s.ids, rng, vocab));
  assert.deepEqual([b.rows, b.srcLen, b.tgtLen], [3, 30, 8]);
  const row = (xs: ArrayLike<number | bigint>, r: number, n: number) => Array.from(xs).slice(r * n, (r + 1) * n).map(Number);
  examples.forEach((e, r) => {
    assert.deepEqual(row(b.feeds.input_ids, r, 30), [...e.inputs, ...new Array(30 - e.inputs.length).fill(0)]);
    assert.deepEqual(row(b.feeds.attention_mask, r, 30), [...e.inputs.map(() => 1), ...new Array(30 - e.inputs.length).fill(0)]);
    const labels = [...e.targets, ...new Array(8 - e.targets.length).fill(-100)];
    assert.deepEqual(row(b.feeds.labels, r, 8), labels);
    assert.deepEqual(row(b.feeds.decoder_input_ids, r, 8), [0, ...labels.slice(0, -1)].map((t) => (t === -100 ? 0 : t)));
  });
  // The missing third row is all padding: nothing attended, nothing predicted.
  assert.ok(row(b.feeds.attention_mask, 2, 30).every((m) => m === 0) && row(b.feeds.labels, 2, 8).every((l) => l === -100));
  assert.equal(b.targets, examples[0].targets.length + examples[1].targets.length);
});

const texts = (await loadTexts("demo", "train")).map((r) => r.text);

Deno.test("kit-made T5 tokenizer: character Unigram pieces, specials first, 100 sentinels last; transformers.js round-trips", async () => {
  const pieces = t5Pieces(["好 好", "好的"], { minFreq: 1, sentinels: 3 });
  // "▁好▁好" and "▁好的": ▁ and 好 3 times each (ties by code point), 的 once.
  assert.deepEqual(pieces.map(([p]) => p), [
    "<pad>",
    "</s>",
    "<unk>",
    "\u2581",
    "好",
    "的",
    "<extra_id_2>",
    "<extra_id_1>",
    "<extra_id_0>",
  ]);
  assert.deepEqual(pieces.slice(3, 6).map(([, s]) => s), [Math.log(3 / 7), Math.log(3 / 7), Math.log(1 / 7)]);
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(t5TokenizerFiles(t5Pieces(texts, { minFreq: 1 })))) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    const tok = await loadT5Tokenizer(dir);
    assert.deepEqual([tok.pad, tok.eos, tok.unk], [0, 1, 2]);
    assert.equal(tok.sentinelIds.length, 100);
    assert.equal(tok.sentinel(0), tok.vocabSize - 1);
    for (const t of texts.slice(0, 50)) {
      const ids = tok.encode(t);
      assert.ok(!ids.includes(tok.unk), t);
      assert.equal(tok.decode(ids), t.replace(/ {2,}/g, " ").trim());
    }
    // transformers.js' own AutoTokenizer, offline from the folder, gives the same ids.
    const hf = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const sample = texts[3];
    assert.deepEqual(hf.encode(sample), tok.encode(sample));
    assert.equal(hf.decode(hf.encode(`${sample}<extra_id_0>`), { skip_special_tokens: false }), `${sample}<extra_id_0></s>`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
