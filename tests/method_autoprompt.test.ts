/** AutoPrompt: HotFlip candidates, embedding gradients, trigger and label search, save/load, bad options. */
import assert from "node:assert/strict";
import { loadFewShot } from "../lib/data/load.ts";
import type { Row } from "../lib/data/types.ts";
import { DECODER } from "../lib/model/bert/graph.ts";
import { loadModelFolder, type ModelFolder } from "../lib/model/folder.ts";
import { autoprompt, type AutoPromptOptions, type AutoPromptPredictor } from "../lib/methods/autoprompt/autoprompt.ts";
import { FrozenScorer } from "../lib/methods/autoprompt/scorer.ts";
import { blockedTokens, hotflipCandidates } from "../lib/methods/autoprompt/search.ts";
import { encodeAutoPrompts, parseAutoTemplate, withTriggers } from "../lib/methods/autoprompt/template.ts";
import { packBatch } from "../lib/model/batch.ts";
import { labelIndices } from "../lib/methods/checks.ts";
import { accuracyOf } from "../lib/methods/predict.ts";
import { InputError } from "../lib/util/errors.ts";
import { shared, sharedTest } from "./_shared.ts";

const MODEL = "models/zh-review-bert-tiny";
const WORD = "bert.embeddings.word_embeddings.weight";
// Small settings so the searches stay a few seconds each.
const FAST: Partial<AutoPromptOptions> = {
  iterations: 2,
  batchSize: 8,
  accumulationSteps: 1,
  numCand: 3,
  evalBatchSize: 16,
  maxLength: 64,
  seed: 7,
};

let cached: Promise<{ model: ModelFolder; train: Row[]; dev: Row[]; labels: string[] }> | undefined;
function setup() {
  return cached ??= (async () => {
    const model = await loadModelFolder(shared(MODEL));
    const { task, train, dev } = await loadFewShot("eprstmt", { kind: "official", index: 0 }, { mirror: shared("data") });
    return { model, train, dev, labels: task.labels };
  })();
}

Deno.test("hotflip: candidates are the top −(E·g) tokens, blocked ones skipped, ties to the lower id", () => {
  // E rows: token v = [v, 1]; g = [-1, 0] → −(E·g) = v: the largest ids win.
  const V = 6, E = { shape: [V, 2], data: new Float32Array(V * 2) };
  for (let v = 0; v < V; v++) E.data.set([v, 1], v * 2);
  const none = new Uint8Array(V);
  assert.deepEqual(hotflipCandidates(E, Float32Array.of(-1, 0), 2, none), [5, 4]);
  assert.deepEqual(hotflipCandidates(E, Float32Array.of(-1, 0), 2, Uint8Array.of(0, 0, 0, 0, 1, 1)), [3, 2]);
  assert.deepEqual(hotflipCandidates(E, Float32Array.of(1, 0), 1, none), [0], "sign flips the ranking");
  assert.deepEqual(hotflipCandidates(E, Float32Array.of(0, 1), 3, none), [0, 1, 2], "all tied: lowest ids");
});

sharedTest("blockedTokens: special tokens and [unusedN] are never candidates", MODEL, async () => {
  const { model } = await setup();
  const tok = model.tokenizer, blocked = blockedTokens(tok, model.config.vocab_size);
  for (const id of Object.values(tok.specialIds)) assert.equal(blocked[id], 1);
  for (let id = 0; id < tok.vocabSize; id++) if (/^\[unused\d+\]$/.test(tok.idToToken(id))) assert.equal(blocked[id], 1);
  assert.equal(blocked[tok.convertTokensToIds(["好"])[0]], 0);
});

sharedTest("embedding gradient at a trigger slot matches a central difference of the loss", MODEL, async () => {
  const { model, train, labels } = await setup();
  const tok = model.tokenizer, E = model.weights.get(WORD)!, H = E.shape[1];
  const template = parseAutoTemplate("{sentence}[T][P]。");
  const trigger = tok.convertTokensToIds(["吗"])[0];
  const rows = train.slice(0, 2);
  const seqs = encodeAutoPrompts(tok, template, rows.map((r) => r.text), 32).seqs.map((s) => withTriggers(s, [trigger]));
  for (const s of seqs) assert.equal(s.ids.filter((id) => id === trigger).length, 1, "the trigger token occurs only in its slot");
  const gold = labelIndices(rows, labels, "train");
  const labelTokens = [tok.convertTokensToIds(["好"]), tok.convertTokensToIds(["差"])];
  const b = packBatch(seqs, { maxLength: 32 });
  const { grad } = await new FrozenScorer(model, labelTokens).gradient(b, seqs, gold);
  // The loss only sees the trigger row of E through the two trigger slots: d loss / d E[t] = Σ slots g.
  const g = new Float64Array(H);
  seqs.forEach((s, r) => {
    for (let h = 0; h < H; h++) g[h] += grad[(r * b.seqLen + s.triggerPos[0]) * H + h];
  });
  const norm = Math.hypot(...g);
  assert.ok(norm > 1e-4, `a usable gradient (norm ${norm})`);
  const lossWith = async (eps: number) => {
    // Perturb only the input embedding: an explicit decoder keeps the tied MLM output weights as they were.
    const data = E.data.slice();
    for (let h = 0; h < H; h++) data[trigger * H + h] += eps * g[h] / norm;
    const weights = new Map(model.weights).set(WORD, { shape: E.shape, data }).set(DECODER, E);
    const scorer = new FrozenScorer({ ...model, weights }, labelTokens);
    const { loss } = await scorer.gradient(b, seqs, gold);
    await scorer.release();
    return loss;
  };
  const eps = 0.05;
  const numeric = ((await lossWith(eps)) - (await lossWith(-eps))) / (2 * eps);
  assert.ok(Math.abs(numeric - norm) < 0.03 * norm + 1e-4, `numeric ${numeric} vs analytic ${norm}`);
});

sharedTest(
  "search on EPRSTMT train_0: kept triggers never lose dev accuracy, weights untouched, same seed same triggers, save/load",
  MODEL,
  async () => {
    const { model, train, dev, labels } = await setup();
    const before = new Map([...model.weights].map(([n, t]) => [n, t.data.slice()]));
    const fit = () => autoprompt.create(model, labels, FAST).fit(train, dev);
    const { predictor, record } = await fit();
    const p = predictor as AutoPromptPredictor;

    assert.equal(record.steps, 2);
    assert.equal(record.losses.length, 2);
    assert.equal(record.trainableParams, 3);
    assert.deepEqual(record.dev.map((d) => d.step), [0, 1, 2]);
    const devGold = labelIndices(dev, labels, "dev");
    const kept = accuracyOf(await p.predictProba(dev.map((r) => r.text)), devGold);
    assert.equal(kept, record.dev.find((d) => d.step === record.bestStep)!.accuracy, "the predictor holds the recorded best triggers");
    assert.ok(kept >= record.dev[0].accuracy, `kept ${kept} >= initial [MASK] triggers ${record.dev[0].accuracy}`);
    assert.match(p.prompt(), /^\{sentence\}.+\[MASK\]。$/);
    for (const [n, data] of before) assert.deepEqual(model.weights.get(n)!.data, data, `weight ${n} unchanged`);

    const again = await fit();
    assert.deepEqual((again.predictor as AutoPromptPredictor).triggers, p.triggers, "same seed, same triggers");
    assert.deepEqual(again.record.losses, record.losses);

    const dir = await Deno.makeTempDir();
    try {
      await p.save(dir);
      const saved = JSON.parse(await Deno.readTextFile(`${dir}/method.json`));
      assert.deepEqual(saved.extra.triggers, p.triggerTokens());
      assert.equal(saved.extra.prompt, p.prompt());
      const loaded = await autoprompt.load(dir, model);
      const texts = dev.slice(0, 12).map((r) => r.text);
      assert.deepEqual(await loaded.predictProba(texts), await p.predictProba(texts));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

sharedTest("label search finds words for every class, none special and none shared", MODEL, async () => {
  const { model, train, dev, labels } = await setup();
  const { predictor, record } = await autoprompt.create(model, labels, { ...FAST, iterations: 0, labelSearch: true, labelEpochs: 10 })
    .fit(train, dev);
  const words = (predictor as AutoPromptPredictor).labelWords();
  assert.deepEqual(Object.keys(words), labels);
  const all = Object.values(words).flat();
  for (const w of Object.values(words)) assert.equal(w.length, 3);
  assert.equal(new Set(all).size, all.length);
  for (const w of all) assert.ok(!/^\[(CLS|SEP|PAD|MASK|UNK|unused\d+)\]$/.test(w), `special token ${w}`);
  assert.ok(record.notes.some((n) => n.startsWith("label words (label search)")));
});

sharedTest("bad options fail in create, before any search", MODEL, async () => {
  const { model, labels } = await setup();
  const bad: [Partial<AutoPromptOptions>, RegExp][] = [
    [{ triggers: 0 }, /triggers/],
    [{ template: "[T][T][P]。" }, /\{sentence\}/],
    [{ template: "{sentence}[T][T]。" }, /\[P\]/],
    [{ template: "{sentence}[P]。" }, /\[T\]/],
    [{ template: "{sentence}[T][P]", triggers: 3 }, /1 \[T\] slots but triggers is 3/],
    [{ labelWords: { Positive: ["很好"], Negative: ["差"] } }, /2 tokens/],
    [{ labelWords: { Positive: ["好"] } }, /Negative/],
    [{ labelWords: "no-such-preset" }, /preset/],
    [{ labelWords: { Positive: ["[MASK]"], Negative: ["差"] } }, /not a usable/],
    [{ labelWords: null }, /labelSearch/],
    [{ numCand: 0 }, /numCand/],
    [{ metric: "f1" as "loss" }, /metric/],
    [{ maxLength: 1000 }, /maxLength/],
  ];
  for (const [options, message] of bad) {
    assert.throws(() => autoprompt.create(model, labels, options), (e: Error) => e instanceof InputError && message.test(e.message));
  }
});
