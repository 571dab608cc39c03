/** The shared helpers of lib/util/ (one `exists`, one percentage format) and that nobody defines their own. */
import assert from "node:assert/strict";
import { percent } from "../lib/util/format.ts";
import { exists } from "../lib/util/fs.ts";
import { root } from "./_shared.ts";

Deno.test("percent: one decimal by default, as tables and model cards print; `digits` as `run` prints", () => {
  assert.equal(percent(0.7531), "75.3");
  assert.equal(percent(0.7531, 2), "75.31");
  assert.equal(percent(1 / 3, 2), "33.33");
  assert.equal(percent(1), "100.0");
  assert.equal(percent(0, 0), "0");
});

Deno.test("exists: files and folders, symlinks followed, a missing or dangling path is false", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "x");
    await Deno.symlink(`${dir}/f`, `${dir}/link`);
    await Deno.symlink(`${dir}/gone`, `${dir}/dangling`);
    assert.deepEqual(
      await Promise.all(["f", ".", "link", "gone", "dangling", "f/below"].map((p) => exists(`${dir}/${p}`))),
      [true, true, true, false, false, false],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("util helpers have one home: no module of lib/ defines its own exists() or percentage formatter", () => {
  const own = /\b(?:function\s+(?:exists|pct|percent)\b|(?:const|let)\s+(?:exists|pct|percent)\s*=)/;
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(`${root}/${dir}`)) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory) walk(rel);
      else if (e.name.endsWith(".ts") && !["lib/util/fs.ts", "lib/util/format.ts"].includes(rel)) {
        Deno.readTextFileSync(`${root}/${rel}`).split("\n").forEach((line, i) =>
          own.test(line) && found.push(`${rel}:${i + 1}: ${line.trim()}`)
        );
      }
    }
  };
  walk("lib");
  assert.deepEqual(found, []);
});
