/** AutoPrompt's acceptance rule (accuracy, ties broken by the gold log-likelihood), flip counting and presets. */
import assert from "node:assert/strict";
import { loadFewShot } from "../lib/data/load.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { autoprompt, AUTOPROMPT_PRESETS, type AutoPromptOptions, type AutoPromptPredictor } from "../lib/methods/autoprompt/autoprompt.ts";
import { accepts } from "../lib/methods/autoprompt/search.ts";
import { labelWordsFromWeights } from "../lib/methods/autoprompt/label_search.ts";
import { FrozenScorer } from "../lib/methods/autoprompt/scorer.ts";
import { InputError } from "../lib/util/errors.ts";
import { root } from "./_shared.ts";

let loaded: Promise<ModelFolder> | undefined;
const model = () => (loaded ??= loadModelFolder(`${root}/models/promptlab-bert-zh-L4-H256`));

Deno.test("acceptance rule: more correct rows win; equal counts go to the higher gold log-likelihood only with accuracy+loglik", () => {
  const current = { correct: 5, logLik: -4 };
  const tieBetter = { correct: 5, logLik: -3 }, tieWorse = { correct: 5, logLik: -5 };
  assert.equal(accepts(tieBetter, current, "accuracy+loglik"), true);
  assert.equal(accepts(tieWorse, current, "accuracy+loglik"), false);
  assert.equal(accepts(current, current, "accuracy+loglik"), false, "equal in both: no flip");
  assert.equal(accepts({ correct: 6, logLik: -9 }, current, "accuracy+loglik"), true, "accuracy first");
  assert.equal(accepts({ correct: 4, logLik: 0 }, current, "accuracy+loglik"), false);
  assert.equal(accepts(tieBetter, current, "accuracy"), false, "plain accuracy needs a strict gain in correct rows");
  assert.equal(accepts({ correct: 6, logLik: -9 }, current, "accuracy"), true);
  assert.equal(accepts({ correct: 4, logLik: -3 }, current, "loss"), true, "loss looks at the log-likelihood only");
});

Deno.test("label search: a class that is no token's argmax still gets its k words (many classes), none shared", () => {
  // H = 2: class 0 likes d0 > 0, class 1 d0 < 0, class 2 is flat, so it never wins a token with d0 != 0.
  const weight = Float32Array.from([1, 0, -1, 0, 0, 0]);
  const d0 = [3, 2, 1, 0.5, -0.5, -1, -2, -3, 9];
  const decoder = { shape: [d0.length, 2], data: Float32Array.from(d0.flatMap((x) => [x, 0])) };
  const blocked = new Uint8Array(d0.length);
  blocked[8] = 1;
  // Class 2's best tokens are the ones nearest 0 (p = 0.307 at |d0| = 0.5; ties by token id).
  assert.deepEqual(labelWordsFromWeights(weight, decoder, 2, blocked), [[0, 1], [7, 6], [3, 4]]);
  assert.ok(!labelWordsFromWeights(weight, decoder, 2, blocked).flat().includes(8), "a blocked token is never a word");
  const words = labelWordsFromWeights(weight, decoder, 3, new Uint8Array(d0.length));
  assert.deepEqual(words.map((w) => w.length), [3, 3, 3]);
  assert.equal(new Set(words.flat()).size, 9, "no token serves two classes");
  assert.throws(
    () => labelWordsFromWeights(weight, decoder, 3, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 1])),
    (e: unknown) => e instanceof InputError && /3 classes x 3 label words need 9 tokens, the vocabulary has 7 unblocked/.test(e.message),
  );
});

/** Demo data, K = 4 per class, and a search small enough for seconds. */
async function smallSearch(options: Partial<AutoPromptOptions>) {
  const m = await model();
  const data = await loadFewShot("demo", { kind: "sampled", k: 4, seed: 1 });
  const small = { iterations: 3, numCand: 4, batchSize: 8, accumulationSteps: 1, evalBatchSize: 8, maxLength: 48, seed: 3, ...options };
  return autoprompt.create(m, data.task.labels, small).fit(data.train, data.dev);
}

Deno.test("search with accuracy+loglik: triggers move on 8 examples, flips are counted, same seed same search", async () => {
  const { predictor, record } = await smallSearch({ metric: "accuracy+loglik" });
  assert.ok(record.acceptedFlips! >= 1, `accepted flips ${record.acceptedFlips}`);
  assert.ok(
    record.notes.includes(`accepted flips: ${record.acceptedFlips} of 3 iterations (metric accuracy+loglik)`),
    record.notes.join("; "),
  );
  const again = await smallSearch({ metric: "accuracy+loglik" });
  assert.equal(again.record.acceptedFlips, record.acceptedFlips);
  assert.deepEqual((again.predictor as AutoPromptPredictor).triggers, (predictor as AutoPromptPredictor).triggers);
  assert.deepEqual(again.record.dev, record.dev);
  // The same budget with plain accuracy: a strict gain in correct rows out of 8 is rarer, so fewer flips.
  const strict = await smallSearch({ metric: "accuracy" });
  assert.ok(
    strict.record.acceptedFlips! < record.acceptedFlips!,
    `plain accuracy ${strict.record.acceptedFlips} vs ${record.acceptedFlips}`,
  );
});

Deno.test("presets: `search` applies its options over the defaults, given options win, an unknown preset fails in create", async () => {
  const m = await model(), labels = ["Positive", "Negative"];
  assert.equal(AUTOPROMPT_PRESETS.search.metric, "accuracy+loglik");
  assert.ok(
    AUTOPROMPT_PRESETS.search.numCand! >= 40 && AUTOPROMPT_PRESETS.search.iterations! >= 40,
    "the original's scale, not the defaults'",
  );
  // create validates every option; a bad value next to the preset shows which options reached it.
  assert.throws(() => autoprompt.create(m, labels, { preset: "search", numCand: 0 }), /field "numCand"/);
  assert.throws(
    () => autoprompt.create(m, labels, { preset: "no-such" }),
    (e) => e instanceof InputError && /unknown preset "no-such"; known: search/.test(e.message),
  );
  const { record } = await autoprompt.create(m, labels, { preset: "search", iterations: 0, maxLength: 48 })
    .fit((await loadFewShot("demo", { kind: "sampled", k: 2, seed: 1 })).train, []);
  assert.ok(record.notes.includes("accepted flips: 0 of 0 iterations (metric accuracy+loglik)"), record.notes.join("; "));
});

Deno.test("search: the dev set is scored once per distinct trigger set, not again after an iteration without a flip", async () => {
  const original = FrozenScorer.prototype.scoreSeqs;
  let calls = 0;
  FrozenScorer.prototype.scoreSeqs = function (...args) {
    calls++;
    return original.apply(this, args);
  };
  try {
    const iterations = 6, numCand = 2;
    const { record } = await smallSearch({ metric: "accuracy", iterations, numCand });
    assert.equal(record.dev!.length, iterations + 1, "one dev accuracy per iteration and the start");
    assert.ok(record.acceptedFlips! < iterations, `the case needs iterations without a flip (${record.acceptedFlips} of ${iterations})`);
    // Per iteration one pass scores the current triggers and every candidate on fresh rows; the dev set at the
    // start and after each flip.
    assert.equal(calls, iterations + 1 + record.acceptedFlips!);
  } finally {
    FrozenScorer.prototype.scoreSeqs = original;
  }
});
