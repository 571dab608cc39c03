// Model I/O on bad input: every error names the file and says what is wrong.
import { rejects } from "./_assert.ts";
import assert from "node:assert/strict";
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from "../lib/model/formats/safetensors.ts";
import { parseBertConfig } from "../lib/model/bert/config.ts";
import { loadModelFolder } from "../lib/model/folder.ts";
import { bertTokenizerFiles, loadTokenizer } from "../lib/model/tokenizers/tokenizer.ts";
import { randomVocab, writeRandomModelFolder } from "../lib/model/bert/random.ts";

const tinyConfig = (overrides: Record<string, unknown> = {}) =>
  parseBertConfig({
    vocab_size: 140,
    hidden_size: 8,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 16,
    max_position_embeddings: 16,
    ...overrides,
  });

async function tinyFolder(): Promise<string> {
  const dir = await Deno.makeTempDir();
  await writeRandomModelFolder(dir, tinyConfig(), { seed: 2 });
  return dir;
}

/** A valid two-tensor file whose header is then edited by `edit`. */
function withHeader(edit: (h: Record<string, { data_offsets: number[]; dtype: string; shape: number[] }>) => void) {
  const bytes = encodeSafetensors(
    new Map([
      ["a", { shape: [2, 2], data: new Float32Array(4) }],
      ["b", { shape: [3], data: new Float32Array(3) }],
    ]),
  );
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

Deno.test("safetensors: short file, header length beyond the file, invalid JSON", async () => {
  await rejects(() => parseSafetensors(new Uint8Array(5), "m.safetensors"), "m.safetensors", /shorter than the 8-byte/);
  const big = new Uint8Array(16);
  new DataView(big.buffer).setBigUint64(0, 1000n, true);
  await rejects(() => parseSafetensors(big, "m.safetensors"), "m.safetensors", /header length 1000 is beyond the file size/);
  const bad = new Uint8Array(8 + 4);
  new DataView(bad.buffer).setBigUint64(0, 4n, true);
  bad.set(new TextEncoder().encode("{no "), 8);
  await rejects(() => parseSafetensors(bad, "m.safetensors"), "m.safetensors", /invalid JSON header/);
});

Deno.test("safetensors: header lies about sizes, overlaps, unknown dtype, truncated data", async () => {
  const f = "x.safetensors";
  await rejects(() => parseSafetensors(withHeader((h) => h.a.shape = [2, 3]), f), f, /header lies about sizes.*"a"|"a".*header lies/);
  await rejects(() => parseSafetensors(withHeader((h) => h.b.data_offsets = [8, 20]), f), f, /overlap/);
  await rejects(() => parseSafetensors(withHeader((h) => h.a.dtype = "F8_E4M3"), f), f, /unknown dtype "F8_E4M3"/);
  const whole = withHeader(() => {});
  await rejects(() => parseSafetensors(whole.subarray(0, whole.length - 4), f), f, /truncated data/);
});

Deno.test("folder: missing file named; truncated model.safetensors named", async () => {
  const dir = await tinyFolder();
  const weights = await Deno.readFile(`${dir}/model.safetensors`);
  await Deno.writeFile(`${dir}/model.safetensors`, weights.subarray(0, weights.length - 100));
  await rejects(() => loadModelFolder(dir), `${dir}/model.safetensors`, /truncated data/);
  await Deno.remove(`${dir}/model.safetensors`);
  await Deno.remove(`${dir}/tokenizer.json`);
  await Deno.remove(`${dir}/vocab.txt`); // with vocab.txt the folder still has a tokenizer
  await rejects(() => loadModelFolder(dir), dir, /missing files model\.safetensors, tokenizer\.json/);
  await rejects(() => loadModelFolder(`${dir}/nope`), `${dir}/nope`, /model folder not found/);
  await rejects(() => readSafetensors(`${dir}/model.safetensors`), `${dir}/model.safetensors`, /missing file/);
  await Deno.writeTextFile(`${dir}/config.json`, '{"vocab_size": 14');
  await rejects(() => loadModelFolder(dir), dir, /missing files/); // presence is checked before content
});

Deno.test("folder: truncated config.json and tokenizer.json named", async () => {
  const dir = await tinyFolder();
  const config = await Deno.readTextFile(`${dir}/config.json`);
  await Deno.writeTextFile(`${dir}/config.json`, config.slice(0, 30));
  await rejects(() => loadModelFolder(dir), `${dir}/config.json`, /invalid JSON/);
  await Deno.writeTextFile(`${dir}/config.json`, config);
  const tok = await Deno.readTextFile(`${dir}/tokenizer.json`);
  await Deno.writeTextFile(`${dir}/tokenizer.json`, tok.slice(0, 100));
  await rejects(() => loadModelFolder(dir), `${dir}/tokenizer.json`, /invalid JSON/);
});

Deno.test("config not matching the weights names model.safetensors, the config field and the tensor's shape", async () => {
  const dir = await tinyFolder();
  const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, intermediate_size: 32 }));
  await rejects(
    () => loadModelFolder(dir),
    `${dir}/model.safetensors (field "intermediate_size")`,
    /config.json has intermediate_size 32 but the weights' bert.encoder.layer.0.intermediate.dense.weight is \[16,8\]; fix the config/,
  );
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, num_hidden_layers: 2 }));
  await rejects(
    () => loadModelFolder(dir),
    `${dir}/model.safetensors (field "num_hidden_layers")`,
    /the weights hold 1 encoder layers but config.json has num_hidden_layers 2/,
  );
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, vocab_size: 100 }));
  await rejects(() => loadModelFolder(dir), `${dir}/tokenizer.json`, /tokenizer has 140 ids but config.json has vocab_size 100/);
});

Deno.test("config.json: invalid fields named", async () => {
  await rejects(() => tinyConfig({ num_attention_heads: 3 }), "config.json", /hidden_size.*not divisible by num_attention_heads 3/);
  await rejects(() => tinyConfig({ position_embedding_type: "relative_key" }), "config.json", /position_embedding_type.*unsupported/);
  await rejects(() => tinyConfig({ hidden_act: "relu" }), "config.json", /hidden_act.*unsupported activation/);
  await rejects(() => tinyConfig({ vocab_size: "big" }), "config.json", /vocab_size.*positive integer/);
});

Deno.test("tokenizer whose vocabulary lacks [MASK] is an InputError naming tokenizer.json", async () => {
  const dir = await Deno.makeTempDir();
  const vocab = randomVocab(50).filter((t) => t !== "[MASK]");
  for (const [name, text] of Object.entries(bertTokenizerFiles(vocab))) await Deno.writeTextFile(`${dir}/${name}`, text);
  await rejects(() => loadTokenizer(dir), `${dir}/tokenizer.json`, /no \[MASK\] token/);
  await Deno.remove(`${dir}/tokenizer_config.json`);
  await rejects(() => loadTokenizer(dir), `${dir}/tokenizer_config.json`, /missing file/);
});

Deno.test("a NaN or infinite weight is refused on load, naming the file and the tensor", async () => {
  const dir = await tinyFolder();
  const file = `${dir}/model.safetensors`;
  const { tensors } = await readSafetensors(file);
  const name = "bert.encoder.layer.0.attention.self.key.weight";
  for (const bad of [NaN, Infinity, -Infinity]) {
    const spoilt = new Map([...tensors].map(([n, t]) => [n, { shape: t.shape, data: Float32Array.from(t.data as Float32Array) }]));
    spoilt.get(name)!.data[5] = bad;
    await writeSafetensors(file, spoilt);
    await rejects(() => loadModelFolder(dir), `${file} (field "${name}")`, new RegExp(`non-finite weight ${bad} at flat index 5`));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a config with fewer layers than the weights is an error, not a truncated model", async () => {
  const dir = await Deno.makeTempDir();
  await writeRandomModelFolder(dir, tinyConfig({ num_hidden_layers: 2 }), { seed: 2 });
  assert.equal((await loadModelFolder(dir)).config.num_hidden_layers, 2);
  const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, num_hidden_layers: 1 }));
  await rejects(
    () => loadModelFolder(dir),
    `${dir}/model.safetensors (field "num_hidden_layers")`,
    /the weights hold 2 encoder layers but config.json has num_hidden_layers 1/,
  );
  await Deno.remove(dir, { recursive: true });
});
