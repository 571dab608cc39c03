/**
 * Data the kit used to take silently: an empty local file, a test label the train file lacks, an extracted
 * file in the cache that was emptied after extraction.
 */
import assert from "node:assert/strict";
import { localTask } from "../lib/data/mod.ts";
import { SHOPPING_ENTRY, SHOPPING_ZIP } from "../lib/data/manifest.ts";
import { InputError } from "../lib/util/errors.ts";
import { root, shared, sharedTest } from "./_shared.ts";

const inputError = (file: string, text: RegExp, line?: number) => (e: unknown) =>
  e instanceof InputError && e.location.file === file && e.location.line === line && text.test(e.message);

Deno.test("data input: an empty local file, or one with only a header, is an error naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = { "empty.jsonl": "", "blank.jsonl": "\n  \n", "empty.csv": "", "header.csv": "label,review\n" };
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, text);
    const spec = (train: string, test?: string) => ({
      train: `${dir}/${train}`,
      test: test && `${dir}/${test}`,
      text: "review",
      label: "label",
    });
    await assert.rejects(localTask(spec("empty.jsonl")), inputError(`${dir}/empty.jsonl`, /empty file: no rows/));
    await assert.rejects(localTask(spec("blank.jsonl")), inputError(`${dir}/blank.jsonl`, /empty file: no rows/));
    await assert.rejects(localTask(spec("empty.csv")), inputError(`${dir}/empty.csv`, /empty file: no rows/));
    await assert.rejects(localTask(spec("header.csv")), inputError(`${dir}/header.csv`, /no data rows, only a header/));
    await Deno.writeTextFile(`${dir}/train.csv`, "label,review\n1,好\n0,坏\n");
    await assert.rejects(localTask(spec("train.csv", "header.csv")), inputError(`${dir}/header.csv`, /no data rows/));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data input: without --labels the train file's labels are the classes; a new label in the test file is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/train.jsonl`, '{"t":"好","y":"pos"}\n{"t":"坏","y":"neg"}\n');
    await Deno.writeTextFile(`${dir}/test.jsonl`, '{"t":"很好","y":"pos"}\n\n{"t":"一般","y":"neutral"}\n');
    await assert.rejects(
      localTask({ train: `${dir}/train.jsonl`, test: `${dir}/test.jsonl`, text: "t", label: "y" }),
      inputError(`${dir}/test.jsonl`, /\(field "y"\): unknown label "neutral" \(expected one of pos, neg\)/, 3),
    );
    await Deno.writeTextFile(`${dir}/test.jsonl`, '{"t":"很好","y":"neg"}\n');
    const task = await localTask({ train: `${dir}/train.jsonl`, test: `${dir}/test.jsonl`, text: "t", label: "y" });
    assert.deepEqual(task.labels, ["pos", "neg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

sharedTest(
  "online_shopping_10_cats: an emptied extracted CSV in the cache is extracted again, not read as 0 rows",
  "data/chinesenlpcorpus",
  async () => {
    const cache = await Deno.makeTempDir();
    const stats = async () => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${root}/lib/cli/main.ts`,
          "data",
          "online_shopping_10_cats_sentiment",
          "--stats",
          "--mirror",
          shared("data"),
          "--cache",
          cache,
        ],
        env: { PROMPTLAB_OFFLINE: "1", NO_COLOR: "1" },
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      return JSON.parse(new TextDecoder().decode(out.stdout));
    };
    try {
      const first = await stats();
      assert.equal(first.splits.train.rows + first.splits.test.rows, 62689);
      const csv = `${cache}/extracted/${SHOPPING_ZIP.sha256.slice(0, 16)}/${SHOPPING_ENTRY.name}`;
      assert.equal((await Deno.stat(csv)).size, SHOPPING_ENTRY.bytes);
      await Deno.writeTextFile(csv, "");
      assert.deepEqual(await stats(), first);
      assert.equal((await Deno.stat(csv)).size, SHOPPING_ENTRY.bytes);
      // A copy cut short (a header and a few rows) is caught the same way.
      await Deno.writeTextFile(csv, "cat,label,review\n书籍,1,好\n");
      assert.deepEqual(await stats(), first);
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  },
);
