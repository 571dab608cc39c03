/**
 * A T5 export opened as transformers.js opens it for a user: `pipeline('text2text-generation')`, offline.
 *
 * @example
 * ```ts
 * const generate = await openT5Export("exports/t5");
 * const [{ generated_text }] = await generate("这个手机很好", { max_new_tokens: 8, do_sample: false });
 * ```
 * @module
 */
import { env, pipeline, type Text2TextGenerationPipeline } from "@huggingface/transformers";
import { InputError } from "../../util/errors.ts";
import { exists } from "../../util/fs.ts";
import { T5_ONNX_FILES } from "./export.ts";

/**
 * The text2text-generation pipeline of the T5 export in `dir`, loaded from the folder alone (no download).
 * @throws InputError naming the first file of the export that is missing.
 */
export async function openT5Export(dir: string): Promise<Text2TextGenerationPipeline> {
  dir = dir.replace(/\/+$/, "");
  for (const file of ["config.json", "tokenizer.json", T5_ONNX_FILES.encoder, T5_ONNX_FILES.decoder]) {
    if (!(await exists(`${dir}/${file}`))) {
      throw new InputError("missing file: not a T5 export of the kit (export the model again)", { file: `${dir}/${file}` });
    }
  }
  // transformers.js finds a local model as localModelPath + id.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const slash = dir.lastIndexOf("/");
  env.localModelPath = slash >= 0 ? `${dir.slice(0, slash)}/` : "./";
  return await pipeline("text2text-generation", dir.slice(slash + 1), { local_files_only: true }) as Text2TextGenerationPipeline;
}
