/**
 * Nothing committed under results/, figures/, notebooks/ or models/ holds a machine's absolute path (a clone
 * elsewhere would show someone's folders); results name models by folder name and fingerprint, and rows
 * written before that (with `model.dir`) still read.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseGrid } from "../lib/experiments/grid.ts";
import { runGrid } from "../lib/experiments/grid_run.ts";
import { loadRecords, loadResults, readResultsFile } from "../lib/experiments/results.ts";
import type { ModelFolder } from "../lib/model/folder.ts";
import { relativePaths } from "../lib/util/paths.ts";

const root = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
/** A JSON string that starts with `/` and has three or more segments, as the before-stop hook looks for. */
const MACHINE_PATH = /"(\/[A-Za-z0-9._-]+){3,}/g;
const FOLDERS = ["results", "figures", "notebooks", "models"];
/** Binary outputs: their bytes are no text to search (a PNG or PDF of a chart carries no paths). */
const BINARY = /\.(png|pdf|safetensors|bin|onnx)$/;

Deno.test("no committed file under results/, figures/, notebooks/, models/ holds an absolute path", async () => {
  const out = await new Deno.Command("git", { args: ["ls-files", "-z", "--", ...FOLDERS], cwd: root, stdout: "piped" }).output();
  assert.ok(out.success, "git ls-files failed");
  const files = new TextDecoder().decode(out.stdout).split("\0").filter((f) => f && !BINARY.test(f));
  assert.ok(files.some((f) => f.startsWith("results/grids/")), "no committed results found");
  const found: string[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(`${root}/${file}`).catch(() => ""); // deleted in the work tree
    const hits = [...new Set(text.match(MACHINE_PATH))];
    if (hits.length) found.push(`${file}: ${hits.slice(0, 3).join(", ")}${hits.length > 3 ? ", ..." : ""}`);
  }
  assert.deepEqual(found, [], `absolute paths in committed files:\n${found.join("\n")}`);
});

Deno.test("committed documentation names no machine's folders (the mirror and models by relative path or folder name)", async () => {
  const out = await new Deno.Command("git", { args: ["ls-files", "-z", "--", "*.md"], cwd: root, stdout: "piped" }).output();
  assert.ok(out.success, "git ls-files failed");
  const files = new TextDecoder().decode(out.stdout).split("\0").filter(Boolean);
  assert.ok(files.includes("bench/README.md"), "bench/README.md not found");
  const home = /(?<![\w.~-])\/(?:work|home|root|Users|mnt)\/[\w.@+-]+/g;
  const found: string[] = [];
  for (const file of files) {
    const hits = (await Deno.readTextFile(`${root}/${file}`).catch(() => "")).match(home);
    if (hits) found.push(`${file}: ${[...new Set(hits)].join(", ")}`);
  }
  assert.deepEqual(found, []);
});

Deno.test("results rows written with model.dir read as model.name (the folder's last part), other fields as written", async () => {
  const dir = await Deno.makeTempDir();
  const row = {
    key: "k",
    method: "pet",
    accuracy: 0.5,
    model: { dir: "/home/someone/models/zh-review-bert-tiny/", fingerprint: "f" },
    k: 4,
  };
  await Deno.writeTextFile(
    `${dir}/r.jsonl`,
    JSON.stringify(row) + "\n" + JSON.stringify({ ...row, key: "n", model: { name: "mini", fingerprint: "g" } }) + "\n",
  );
  const [old, current] = await readResultsFile(`${dir}/r.jsonl`);
  assert.deepEqual(old, { ...row, model: { name: "zh-review-bert-tiny", fingerprint: "f" } });
  assert.deepEqual(Object.keys(old), Object.keys(row));
  assert.deepEqual(current.model, { name: "mini", fingerprint: "g" });
  // The committed results: every row names its model, none by a path.
  const rows = await loadResults(`${root}/results/grids/comparison-eprstmt-zh-review-bert-tiny.jsonl`);
  assert.ok(rows.length > 0);
  assert.ok(rows.every((r) => r.model.name === "zh-review-bert-tiny" && !("dir" in r.model)));
});

Deno.test("a failed cell's reason is recorded with its paths relative to the working folder", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/config.json`, "{}");
  await Deno.writeTextFile(`${dir}/model.safetensors`, "w");
  const grid = parseGrid({
    name: "g",
    dataset: "demo",
    protocol: { kind: "sampled", k: [2], seeds: [1] },
    methods: [{ method: "finetune" }],
  });
  const results = `${dir}/r.jsonl`;
  const missing = `${Deno.cwd()}/data/reviews.csv`;
  await runGrid(grid, {
    model: { dir, weights: new Map() } as ModelFolder,
    results,
    progress: false,
    onFailure: () => {},
    runCell: () => Promise.reject(new Error(`${missing}: cannot read (see https://example.org/a/b/c)`)),
  });
  const [failed] = await loadRecords(results);
  assert.equal((failed as { error: string }).error, "data/reviews.csv: cannot read (see https://example.org/a/b/c)");
  assert.doesNotMatch(await Deno.readTextFile(results), MACHINE_PATH);
  assert.equal(relativePaths("/a/b/c and /a/d", "/a/b"), "c and ../d");
});
