/** Bad input to the data layer: each case fails with a message naming the file (and line), and writes nothing. */
import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { InputError } from "../lib/util/errors.ts";
import { fetchSource, loadSplit, localTask } from "../lib/data/mod.ts";
import { sha256Hex } from "../lib/data/sources.ts";
import type { SourceFile } from "../lib/data/manifest.ts";
import { parseJsonl } from "../lib/data/parse_jsonl.ts";
import { parseCsv } from "../lib/data/parse_csv.ts";
import { extractZip } from "../lib/data/zip.ts";

const SENT = { text: "sentence", label: "label", labels: ["Positive", "Negative"] };
const CSV = { text: "review", label: "label", labelMap: { "1": "Positive", "0": "Negative" } };

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err) => err instanceof InputError && pattern.test(err.message));
}

/** Every file below `dir`, relative. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`, `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  await walk(dir, "");
  return out;
}

Deno.test("data input: a malformed JSON line names file and line", () => {
  const text = '{"sentence":"好","label":"Positive"}\n\n{"sentence": "坏", "label"\n';
  rejects(() => parseJsonl(text, "bad.jsonl", SENT), /^bad\.jsonl:3: malformed JSON line/);
  rejects(() => parseJsonl('["not","an","object"]\n', "arr.jsonl", SENT), /^arr\.jsonl:1: .*must be an object/);
});

Deno.test("data input: a malformed CSV row names file and line", () => {
  rejects(() => parseCsv('label,review\n1,好\n0,"坏\n', "q.csv", CSV), /^q\.csv:3: malformed CSV/);
  rejects(() => parseCsv("label,review\n1,好\n0,坏,多\n", "n.csv", CSV), /^n\.csv:3: malformed CSV/);
});

Deno.test("data input: an unknown label names file, line and field", () => {
  rejects(
    () => parseJsonl('{"sentence":"好","label":"Positive"}\n{"sentence":"一般","label":"Neutral"}\n', "u.jsonl", SENT),
    /^u\.jsonl:2 \(field "label"\): unknown label "Neutral"/,
  );
  rejects(() => parseCsv("label,review\n1,好\n2,一般\n", "u.csv", CSV), /^u\.csv:3 \(field "label"\): unknown label "2"/);
});

Deno.test("data input: an empty text is an error for user files, dropped and counted only where asked", () => {
  rejects(() => parseJsonl('{"sentence":"  ","label":"Positive"}\n', "e.jsonl", SENT), /^e\.jsonl:1 \(field "sentence"\): empty text/);
  rejects(() => parseCsv("label,review\n1,\n", "e.csv", CSV), /^e\.csv:2 \(field "review"\): empty text/);
  const kept = parseCsv("label,review\n1,\n0,坏\n", "e.csv", { ...CSV, emptyText: "drop" });
  assert.deepEqual(kept, { rows: [{ text: "坏", label: "Negative" }], dropped: { empty: 1 } });
});

Deno.test("data input: a missing column or field is named", () => {
  rejects(() => parseCsv("lbl,review\n1,好\n", "m.csv", CSV), /^m\.csv:1 \(field "label"\): missing column/);
  rejects(() => parseJsonl('{"text":"好","label":"Positive"}\n', "m.jsonl", SENT), /^m\.jsonl:1 \(field "sentence"\): missing field/);
});

Deno.test("data input: local files load through the same checks", async () => {
  const dir = await Deno.makeTempDir();
  const rows = Array.from({ length: 20 }, (_, i) => `${i % 2},评论${i}`);
  await Deno.writeTextFile(`${dir}/mine.csv`, `label,review\n${rows.join("\n")}\n`);
  const task = await localTask({ train: `${dir}/mine.csv`, text: "review", label: "label" });
  assert.deepEqual(task.labels, ["0", "1"]);
  const [train, test] = [await loadSplit(task, "train"), await loadSplit(task, "test")];
  assert.equal(train.length + test.length, 20);
  assert.equal(test.filter((r) => r.label === "1").length, 2);
  await assert.rejects(
    localTask({ train: `${dir}/mine.csv`, text: "review", label: "label", labels: ["1"] }),
    /mine\.csv:2 \(field "label"\): unknown label "0"/,
  );
  await assert.rejects(localTask({ train: `${dir}/none.csv`, text: "review", label: "label" }), /none\.csv: cannot read/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("data input: a truncated zip is reported with its file name", async () => {
  const dir = await Deno.makeTempDir();
  const zip = zipSync({ "a.csv": new TextEncoder().encode("label,review\n1,好\n".repeat(50)) });
  await assert.rejects(extractZip(zip.subarray(0, zip.length - 30), "cut.zip", dir), /^InputError: cut\.zip: truncated or corrupt zip/);
  assert.deepEqual(await extractZip(zip, "ok.zip", dir), [`${dir}/a.csv`]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("data input: a zip entry escaping the target is rejected and nothing is extracted", async () => {
  const parent = await Deno.makeTempDir();
  const target = `${parent}/cache`;
  const bytes = new TextEncoder().encode("x");
  for (const evil of ["../evil.txt", "sub/../../evil.txt", "/tmp/evil-abs.txt"]) {
    const zip = zipSync({ "good.txt": bytes, [evil]: bytes });
    await assert.rejects(extractZip(zip, "evil.zip", target), /evil\.zip: zip entry ".*" would be written outside/);
  }
  assert.deepEqual(await listFiles(parent), []);
  await Deno.remove(parent, { recursive: true });
});

/** A small pinned file served by a local server, for download tests. */
const BODY = new TextEncoder().encode('{"sentence":"下载测试","label":"Positive"}\n'.repeat(200));
const SRC: SourceFile = {
  path: "test/file.json",
  repo: "owner/repo",
  commit: "0123456789abcdef0123456789abcdef01234567",
  upstreamPath: "datasets/file.json",
  bytes: BODY.length,
  sha256: sha256Hex(BODY),
};

/** Serve `respond` on 127.0.0.1 while `fn` runs; counts requests. */
async function withServer(respond: (url: URL) => Response, fn: (base: string, hits: () => number) => Promise<void>) {
  let n = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    n++;
    return respond(new URL(req.url));
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, () => n);
  } finally {
    await server.shutdown();
  }
}

Deno.test("data download: a verified download lands in the cache, atomically, and is reused", async () => {
  const cache = await Deno.makeTempDir();
  await withServer((url) => {
    assert.equal(url.pathname, "/owner/repo/0123456789abcdef0123456789abcdef01234567/datasets/file.json");
    return new Response(BODY);
  }, async (baseUrl, hits) => {
    const got = await fetchSource(SRC, { mirror: null, cache, baseUrl });
    assert.equal(got.path, `${cache}/test/file.json`);
    assert.deepEqual(await listFiles(cache), ["test/file.json"]);
    await fetchSource(SRC, { mirror: null, cache, baseUrl });
    assert.equal(hits(), 1);
  });
  await Deno.remove(cache, { recursive: true });
});

Deno.test("data download: a wrong or cut-off body is rejected and nothing is left in the cache", async () => {
  const cache = await Deno.makeTempDir();
  const wrong = BODY.slice();
  wrong[10] ^= 1;
  const bodies: (() => Response)[] = [
    () => new Response(wrong),
    () => new Response(BODY.subarray(0, 100)),
    () => new Response("not found", { status: 404 }),
  ];
  for (const [i, body] of bodies.entries()) {
    await withServer(body, async (baseUrl) => {
      await assert.rejects(
        fetchSource(SRC, { mirror: null, cache, baseUrl }),
        (err) => err instanceof InputError && /checksum mismatch|size 100 bytes|failed/.test(err.message),
        `case ${i}`,
      );
    });
    assert.deepEqual(await listFiles(cache), [], `case ${i} left files`);
  }
  // A connection that closes mid-body, after promising the whole length.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(4096));
    const head = `HTTP/1.1 200 OK\r\ncontent-length: ${BODY.length}\r\nconnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(head));
    await conn.write(BODY.subarray(0, 1000));
    conn.close();
  })();
  const baseUrl = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  await assert.rejects(fetchSource(SRC, { mirror: null, cache, baseUrl }), /downloading .* failed/);
  await serving;
  listener.close();
  assert.deepEqual(await listFiles(cache), []);
  await Deno.remove(cache, { recursive: true });
});

Deno.test("data sources: offline without a mirror says what is missing and how to provide it", async () => {
  const cache = await Deno.makeTempDir();
  await assert.rejects(
    fetchSource(SRC, { mirror: null, cache, download: false }),
    /test\/file\.json is not in the data mirror \(none set\) nor in the cache.*downloads are off.*PROMPTLAB_DATA_MIRROR/,
  );
  // A refused connection (no network) gives the same guidance.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await assert.rejects(
    fetchSource(SRC, { mirror: null, cache, baseUrl: `http://127.0.0.1:${port}` }),
    /downloading http:\/\/127\.0\.0\.1:\d+\/owner\/repo\/.* failed .*PROMPTLAB_DATA_MIRROR.*sha256/,
  );
  assert.deepEqual(await listFiles(cache), []);
  await Deno.remove(cache, { recursive: true });
});

Deno.test("data sources: an unreadable mirror or mirror file is an error, a wrong mirror file too", async () => {
  const dir = await Deno.makeTempDir();
  const cache = `${dir}/cache`;
  await Deno.writeTextFile(`${dir}/not-a-folder`, "");
  await assert.rejects(fetchSource(SRC, { mirror: `${dir}/not-a-folder`, cache }), /not-a-folder: data mirror is unreadable/);
  await assert.rejects(fetchSource(SRC, { mirror: `${dir}/absent`, cache }), /absent: data mirror is unreadable/);
  await Deno.mkdir(`${dir}/mirror/test/file.json`, { recursive: true }); // a folder where the file should be
  await assert.rejects(fetchSource(SRC, { mirror: `${dir}/mirror`, cache }), /mirror\/test\/file\.json: mirror file is unreadable/);
  await Deno.remove(`${dir}/mirror/test/file.json`);
  const wrong = BODY.slice();
  wrong[0] = 0x20;
  await Deno.writeFile(`${dir}/mirror/test/file.json`, wrong);
  await assert.rejects(
    fetchSource(SRC, { mirror: `${dir}/mirror`, cache, download: false }),
    /mirror file is not the pinned upstream file: checksum mismatch/,
  );
  await Deno.writeFile(`${dir}/mirror/test/file.json`, BODY);
  assert.equal((await fetchSource(SRC, { mirror: `${dir}/mirror`, cache, download: false })).path, `${dir}/mirror/test/file.json`);
  await assert.rejects(Deno.stat(cache), Deno.errors.NotFound); // the mirror is read in place, nothing cached
  await Deno.remove(dir, { recursive: true });
});
