/**
 * The SentencePiece (Unigram) tokenizer of a T5 folder, read from `tokenizer.json` (+ an optional
 * `tokenizer_config.json`) by transformers.js, with T5's conventions: `</s>` closes every input and target,
 * `<pad>` pads, sentinels `<extra_id_N>` mark the spans of span corruption.
 *
 * A folder with only `spiece.model` (SentencePiece's own protobuf) is refused with the way to convert it:
 * transformers.js reads tokenizer.json only.
 *
 * @example
 * ```ts
 * const tok = await loadT5Tokenizer("tests/fixtures/tiny-t5");
 * tok.encode("质量很好"); // [..., 1]: pieces, then </s>
 * tok.sentinel(0); // id of <extra_id_0>
 * ```
 * @module
 */
import { T5Tokenizer as HfT5Tokenizer } from "@huggingface/transformers";
import { InputError } from "../../util/errors.ts";
import { exists } from "../../util/fs.ts";
import { readJsonFile } from "../../util/json_file.ts";
import type { TextToTextTokenizer } from "../text_to_text.ts";

/** SentencePiece's model file, which HF T5 folders ship beside (or instead of) tokenizer.json. */
export const SPIECE_FILE = "spiece.model";

// Minimal view of the transformers.js tokenizer this wrapper uses.
interface HfTokenizer {
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  decode(ids: number[], opts: { skip_special_tokens: boolean }): string;
  get_vocab(): Map<string, number>;
}

/** A padded batch of T5 inputs. */
export interface T5Encoding {
  inputIds: number[][];
  attentionMask: number[][];
}

/** A loaded T5 tokenizer; construct with {@link loadT5Tokenizer}. */
export class T5Tokenizer implements TextToTextTokenizer {
  readonly pad: number;
  readonly eos: number;
  readonly unk: number;
  /** Number of ids (largest id + 1). */
  readonly vocabSize: number;
  /** Ids of `<extra_id_0>`, `<extra_id_1>`, ... as far as the vocabulary has them without a gap. */
  readonly sentinelIds: readonly number[];
  /** Raw contents of the tokenizer files read, by file name (fingerprints of saved predictors, saved folders). */
  readonly files: Record<string, string>;
  readonly #hf: HfTokenizer;
  readonly #file: string;

  /** @internal use {@link loadT5Tokenizer}. */
  constructor(hf: HfTokenizer, file: string, files: Record<string, string>) {
    this.#hf = hf;
    this.files = files;
    this.#file = file;
    const vocab = hf.get_vocab();
    this.vocabSize = Math.max(...vocab.values()) + 1;
    const id = (token: string): number => {
      const v = vocab.get(token);
      if (v === undefined) throw new InputError(`the vocabulary has no ${token} token, which T5 needs`, { file });
      return v;
    };
    [this.pad, this.eos, this.unk] = [id("<pad>"), id("</s>"), id("<unk>")];
    const sentinels: number[] = [];
    for (let n = 0; vocab.has(`<extra_id_${n}>`); n++) sentinels.push(vocab.get(`<extra_id_${n}>`)!);
    this.sentinelIds = sentinels;
  }

  /** Ids of `text`, followed by `</s>` unless `eos` is false. */
  encode(text: string, { eos = true } = {}): number[] {
    const ids = this.#hf.encode(text, { add_special_tokens: false });
    return eos ? [...ids, this.eos] : ids;
  }

  /**
   * A batch of texts as encoder input: each `encode`d, cut to `maxLength` keeping the closing `</s>`, padded with
   * `<pad>` to the longest row.
   */
  encodeBatch(texts: readonly string[], maxLength = 512): T5Encoding {
    const rows = texts.map((t) => {
      const ids = this.encode(t);
      return ids.length > maxLength ? [...ids.slice(0, maxLength - 1), this.eos] : ids;
    });
    const length = Math.max(...rows.map((r) => r.length));
    return {
      inputIds: rows.map((r) => [...r, ...new Array(length - r.length).fill(this.pad)]),
      attentionMask: rows.map((r) => [...new Array(r.length).fill(1), ...new Array(length - r.length).fill(0)]),
    };
  }

  /** Text of `ids`; `<pad>`, `</s>` and other special tokens are dropped unless `skipSpecial` is false. */
  decode(ids: readonly number[], { skipSpecial = true } = {}): string {
    return ids.length ? this.#hf.decode([...ids], { skip_special_tokens: skipSpecial }) : "";
  }

  /**
   * Id of sentinel `<extra_id_n>`.
   * @throws InputError naming tokenizer.json when the vocabulary has no such sentinel (span corruption needs them).
   */
  sentinel(n: number): number {
    const id = this.sentinelIds[n];
    if (id === undefined) {
      throw new InputError(`no sentinel <extra_id_${n}> (the vocabulary has ${this.sentinelIds.length}); span corruption needs them`, {
        file: this.#file,
      });
    }
    return id;
  }
}

/**
 * Load the tokenizer of a T5 folder from its `tokenizer.json` (and `tokenizer_config.json` if present).
 * @throws InputError naming the file: a folder with `spiece.model` but no tokenizer.json (with the conversion
 *   command), a missing or unreadable tokenizer.json, one transformers.js cannot build, a vocabulary without
 *   `<pad>`, `</s>` or `<unk>`.
 */
export async function loadT5Tokenizer(dir: string): Promise<T5Tokenizer> {
  const file = `${dir}/tokenizer.json`;
  if (!(await exists(file)) && (await exists(`${dir}/${SPIECE_FILE}`))) {
    throw new InputError(
      "no tokenizer.json beside it, and transformers.js reads only tokenizer.json; convert it once in Python " +
        `(pip install transformers sentencepiece protobuf): T5TokenizerFast.from_pretrained("${dir}").save_pretrained("${dir}")`,
      { file: `${dir}/${SPIECE_FILE}` },
    );
  }
  const json = await readJsonFile(file);
  const configFile = `${dir}/tokenizer_config.json`;
  const config = (await exists(configFile)) ? await readJsonFile(configFile) : {};
  const files: Record<string, string> = { "tokenizer.json": await Deno.readTextFile(file) };
  if (await exists(configFile)) files["tokenizer_config.json"] = await Deno.readTextFile(configFile);
  let hf: HfTokenizer;
  try {
    hf = new HfT5Tokenizer(json, config) as unknown as HfTokenizer;
  } catch (err) {
    throw new InputError(`transformers.js could not build the tokenizer: ${(err as Error).message}`, { file });
  }
  return new T5Tokenizer(hf, file, files);
}
