/** Loaded weights are refused when a value is not finite or the config has fewer layers than the weights. */
import assert from "node:assert/strict";
import { parseBertConfig } from "../lib/model/config.ts";
import { loadModelFolder, saveModelFolder } from "../lib/model/folder.ts";
import { randomBertWeights, randomVocab } from "../lib/model/random.ts";
import { bertTokenizerFiles } from "../lib/model/tokenizer.ts";
import { InputError } from "../lib/util/errors.ts";

const config = parseBertConfig({
  vocab_size: 140,
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 16,
  max_position_embeddings: 16,
});

/** A model folder of `config` whose weights `edit` may spoil first. */
async function folder(edit: (w: ReturnType<typeof randomBertWeights>) => void = () => {}): Promise<string> {
  const dir = await Deno.makeTempDir();
  const weights = randomBertWeights(config, 3);
  edit(weights);
  await saveModelFolder(dir, { config, weights, tokenizerFiles: bertTokenizerFiles(randomVocab(140), 16) });
  return dir;
}

const inputError = (file: string, field: string, text: RegExp) => (e: unknown) =>
  e instanceof InputError && e.location.file === file && e.location.field === field && text.test(e.message);

Deno.test("a NaN or infinite weight is refused on load, naming the file and the tensor", async () => {
  const name = "bert.encoder.layer.1.attention.self.key.weight";
  for (const bad of [NaN, Infinity, -Infinity]) {
    const dir = await folder((w) => (w.get(name)!.data[5] = bad));
    try {
      await assert.rejects(loadModelFolder(dir), inputError(`${dir}/model.safetensors`, name, new RegExp(`non-finite weight ${bad} at flat index 5`)));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("a config with fewer layers than the weights is an error, not a truncated model", async () => {
  const dir = await folder();
  try {
    assert.equal((await loadModelFolder(dir)).config.num_hidden_layers, 2);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...json, num_hidden_layers: 1 }));
    await assert.rejects(
      loadModelFolder(dir),
      inputError(`${dir}/model.safetensors`, "num_hidden_layers", /weights hold 2 encoder layers but config.json has num_hidden_layers 1/),
    );
    // More layers in the config than in the weights: the missing tensor is named.
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...json, num_hidden_layers: 3 }));
    await assert.rejects(loadModelFolder(dir), inputError(`${dir}/model.safetensors`, "bert.encoder.layer.2.attention.self.query.weight", /tensor missing/));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
