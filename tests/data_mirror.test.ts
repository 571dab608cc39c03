/** The registered datasets on the real files, through the data mirror (`../shared/data`). */
import assert from "node:assert/strict";
import { datasetStats, fetchSource, loadFewShot, loadSplit, loadTexts, type Row, textKey, unlabeledTexts } from "../lib/data/mod.ts";
import pl from "nodejs-polars";
import { toDataFrame } from "../lib/data/frame.ts";
import { EPRSTMT_FILES } from "../lib/data/manifest.ts";
import { root, shared, sharedTest } from "./_shared.ts";

const EPR = "data/fewclue/eprstmt";
const CORPUS = "data/chinesenlpcorpus";
/** Mirror only: these tests never download; the cache only receives the extracted shopping CSV. */
const cache = Deno.makeTempDirSync({ prefix: "promptlab-data-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(cache, { recursive: true }));
const opts = () => ({ mirror: shared("data"), download: false, cache });

const counts = (rows: number, Positive: number) => ({ rows, labels: { Positive, Negative: rows - Positive } });

sharedTest("eprstmt: row and label counts of every split", EPR, async () => {
  const stats = await datasetStats("eprstmt", opts());
  assert.deepEqual(stats, {
    dataset: "eprstmt",
    splits: {
      train_0: counts(32, 17),
      train_1: counts(32, 16),
      train_2: counts(32, 18),
      train_3: counts(32, 18),
      train_4: counts(32, 15),
      dev_0: counts(32, 13),
      dev_1: counts(32, 16),
      dev_2: counts(32, 19),
      dev_3: counts(32, 14),
      dev_4: counts(32, 12),
      train_few_all: counts(160, 84),
      dev_few_all: counts(160, 74),
      test_public: counts(610, 305),
      test: { rows: 753 },
      unlabeled: { rows: 19565 },
    },
  });
});

sharedTest("eprstmt: official splits load with the same rows as the files", EPR, async () => {
  const o = opts();
  for (const split of Object.keys(EPRSTMT_FILES)) {
    const lines = (await Deno.readTextFile(shared(`data/fewclue/eprstmt/${split}.json`))).split("\n").filter((l) => l.trim());
    const expected = lines.map((l) => {
      const { id, sentence, label } = JSON.parse(l);
      return label === undefined ? { text: sentence.trim(), id: String(id) } : { text: sentence.trim(), id: String(id), label };
    });
    assert.deepEqual(await loadTexts("eprstmt", split, o), expected, split);
  }
  const run = await loadFewShot("eprstmt", { kind: "official", index: 3 }, o);
  assert.deepEqual(run.train, await loadSplit("eprstmt", "train_3", o));
  assert.deepEqual(run.dev, await loadSplit("eprstmt", "dev_3", o));
  assert.deepEqual(run.test, await loadSplit("eprstmt", "test_public", o));
  const all = await loadFewShot("eprstmt", { kind: "official", index: "few_all" }, o);
  assert.equal(all.train.length + all.dev.length, 320);
  await assert.rejects(loadFewShot("eprstmt", { kind: "official", index: 5 }, o), /0\.\.4/);
  await assert.rejects(loadSplit("eprstmt", "unlabeled", o), /has no labels/);
});

sharedTest("eprstmt: sampled splits are deterministic per seed and disjoint from each other and the test set", EPR, async () => {
  const o = opts();
  const ids = (rows: Row[]) => rows.map((r) => r.id).sort();
  const a = await loadFewShot("eprstmt", { kind: "sampled", k: 16, seed: 1 }, o);
  const b = await loadFewShot("eprstmt", { kind: "sampled", k: 16, seed: 1 }, o);
  const c = await loadFewShot("eprstmt", { kind: "sampled", k: 16, seed: 2 }, o);
  assert.deepEqual(a.train, b.train);
  assert.deepEqual(a.dev, b.dev);
  assert.notDeepEqual(ids(a.train), ids(c.train));
  for (const run of [a, c]) {
    assert.equal(run.train.filter((r) => r.label === "Positive").length, 16);
    assert.equal(run.dev.filter((r) => r.label === "Negative").length, 16);
    const train = new Set(run.train.map((r) => textKey(r.text)));
    const dev = new Set(run.dev.map((r) => textKey(r.text)));
    assert.ok([...dev].every((t) => !train.has(t)));
    assert.ok(run.test.every((r) => !train.has(textKey(r.text)) && !dev.has(textKey(r.text))));
  }
});

sharedTest("eprstmt: a mirror file with a wrong checksum is detected", EPR, async () => {
  const mirror = await Deno.makeTempDir();
  const bytes = await Deno.readFile(shared("data/fewclue/eprstmt/train_0.json"));
  bytes[40] ^= 0x01; // same size, one bit off
  await Deno.mkdir(`${mirror}/fewclue/eprstmt`, { recursive: true });
  await Deno.writeFile(`${mirror}/fewclue/eprstmt/train_0.json`, bytes);
  await assert.rejects(
    fetchSource(EPRSTMT_FILES.train_0, { mirror, download: false }),
    /train_0\.json: mirror file is not the pinned upstream file: checksum mismatch: sha256 [0-9a-f]{64}, expected c5b94c97/,
  );
  await Deno.remove(mirror, { recursive: true });
});

sharedTest("eprstmt: unlabelled stream is de-duplicated and decontaminated", EPR, async () => {
  const o = opts();
  const stream = unlabeledTexts("eprstmt", o);
  const texts: string[] = [];
  for await (const t of stream) texts.push(t);
  assert.deepEqual(stream.report, { read: 19565, yielded: 18647, duplicates: 801, decontaminated: 117 });
  const evalKeys = new Set<string>();
  for (const s of ["dev_few_all", "test_public", "test"]) {
    for (const r of await loadTexts("eprstmt", s, o)) evalKeys.add(textKey(r.text));
  }
  assert.ok(texts.every((t) => !evalKeys.has(textKey(t))));
  assert.equal(new Set(texts.map(textKey)).size, texts.length);
});

sharedTest("eprstmt: a split as a polars DataFrame", EPR, async () => {
  const df = toDataFrame(await loadSplit("eprstmt", "test_public", opts()));
  assert.deepEqual(df.columns, ["id", "text", "label"]);
  assert.equal(df.height, 610);
  assert.equal(df.filter(pl.col("label").eq(pl.lit("Positive"))).height, 305);
});

sharedTest("csv datasets: the fixed split is stable, stratified and has no overlap", CORPUS, async () => {
  const o = opts();
  assert.deepEqual(await datasetStats("chnsenticorp_htl", o), {
    dataset: "chnsenticorp_htl",
    splits: { train: counts(6212, 4258), test: counts(1553, 1064) },
    dropped: { empty: 1 },
  });
  assert.deepEqual(await datasetStats("waimai_10k", o), {
    dataset: "waimai_10k",
    splits: { train: counts(9575, 3192), test: counts(2394, 798) },
    dropped: { duplicate: 4, conflicting: 14 },
  });
  const train = new Set((await loadSplit("waimai_10k", "train", o)).map((r) => textKey(r.text)));
  assert.ok((await loadSplit("waimai_10k", "test", o)).every((r) => !train.has(textKey(r.text))));
  const run = await loadFewShot("waimai_10k", { kind: "sampled", k: 8, seed: 5 }, o);
  assert.ok(run.train.every((r) => train.has(textKey(r.text))));
});

sharedTest("online_shopping_10_cats: extracted into the cache from the zip, as two tasks", CORPUS, async () => {
  const o = opts();
  const sentiment = await datasetStats("online_shopping_10_cats_sentiment", o);
  assert.equal(sentiment.splits.train.rows + sentiment.splits.test.rows, 62689);
  assert.deepEqual(sentiment.dropped, { empty: 1, duplicate: 48, conflicting: 36 });
  const category = await datasetStats("online_shopping_10_cats_category", o);
  assert.equal(Object.keys(category.splits.test.labels!).length, 10);
  assert.equal(category.splits.test.labels!.hotel, 1999);
  const extracted: string[] = [];
  for await (const e of Deno.readDir(`${o.cache}/extracted`)) extracted.push(e.name);
  assert.deepEqual(extracted, ["6816ded66fde9d09"]);
});

sharedTest("cli: data --stats and --list print JSON", EPR, async () => {
  const cli = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}/lib/cli/main.ts`, "data", ...args, "--mirror", shared("data"), "--cache", opts().cache],
      env: { PROMPTLAB_OFFLINE: "1", NO_COLOR: "1" },
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
  };
  const [stats] = await cli("eprstmt", "--stats");
  assert.deepEqual(stats.splits.test_public, counts(610, 305));
  const list = await cli("--list");
  assert.deepEqual(list.map((d) => d.dataset), [
    "eprstmt",
    "chnsenticorp_htl",
    "waimai_10k",
    "online_shopping_10_cats_sentiment",
    "online_shopping_10_cats_category",
    "demo",
    "bustm",
    "csl",
    "cluewsc",
    "iflytek",
    "csldcp",
    "chid",
  ]);
  assert.deepEqual(list[0].splits, stats.splits);
  assert.equal(list[5].splits.train.rows, 200);
});
