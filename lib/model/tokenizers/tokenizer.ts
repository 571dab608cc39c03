/**
 * The BERT WordPiece tokenizer of a model folder, loaded with transformers.js from `tokenizer.json` +
 * `tokenizer_config.json` or, for folders that ship only `vocab.txt` (+ `tokenizer_config.json`), from the
 * equivalent tokenizer.json built in memory (wordpiece.ts), behind a small typed wrapper.
 *
 * Special tokens and truncation are done here, not by transformers.js: its `truncation` in 4.3.1 cuts the
 * final `[SEP]` off (`max_length: 6` gives `[CLS] a b c d e`), where HF Python keeps it.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("models/zh-review-bert-tiny");
 * const { inputIds, attentionMask } = tok.encode(["很好，[MASK]。"], { maxLength: 64 });
 * ```
 * @module
 */
import { AutoTokenizer, BertTokenizer as HfBertTokenizer, env } from "@huggingface/transformers";
import { InputError } from "../../util/errors.ts";
import { exists } from "../../util/fs.ts";
import { readJsonFile } from "../../util/json_file.ts";
import { bertTokenizerJson, DEFAULT_WORDPIECE, readVocabTokenizer } from "./wordpiece.ts";

/**
 * Files a tokenizer is read from: `tokenizer.json` with `tokenizer_config.json` (transformers.js refuses to load
 * without it), or else `vocab.txt` (with an optional `tokenizer_config.json`).
 */
export const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json"] as const;
/** The file of a tokenizer without `tokenizer.json`. */
export const VOCAB_FILE = "vocab.txt";
/** Further tokenizer files copied along when a folder is saved, if present. */
export const OPTIONAL_TOKENIZER_FILES = ["vocab.txt", "special_tokens_map.json"] as const;

/** Ids of the special tokens. */
export interface SpecialIds {
  cls: number;
  sep: number;
  pad: number;
  mask: number;
  unk: number;
}

/** Options of {@link BertTokenizer.encode}. */
export interface EncodeOptions {
  /** Longest sequence kept, special tokens included; default the tokenizer's `model_max_length` (≤ 512). */
  maxLength?: number;
  /** "longest": pad to the longest row; "max_length": pad every batch to `maxLength`. Default "longest". */
  padding?: "longest" | "max_length";
  /** Round the padded length up to a multiple of this (length buckets; fewer distinct shapes). */
  padToMultipleOf?: number;
  /** Second segments (`[CLS] a [SEP] b [SEP]`, token type 1 for b), one per text. */
  textPairs?: string[];
}

/** A padded batch, rows of equal length. */
export interface Encoding {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
  /** Padded row length. */
  length: number;
  /** How many rows were cut to fit `maxLength` (longest-first between the two segments). */
  truncated: number;
}

/** Options of {@link loadTokenizer}. */
export interface LoadTokenizerOptions {
  /** Treat `dirOrId` as a Hugging Face Hub id and allow downloading (needs network). Default false. */
  allowRemote?: boolean;
}

// Minimal view of the transformers.js tokenizer this wrapper uses.
interface HfTokenizer {
  tokenize(text: string): string[];
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  get_vocab(): Map<string, number>;
  model_max_length: number;
  config: Record<string, unknown>;
}

/** A loaded BERT tokenizer. Construct with {@link loadTokenizer}. */
export class BertTokenizer {
  /** Ids of `[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, `[UNK]` (or the names tokenizer_config.json gives). */
  readonly specialIds: SpecialIds;
  /** Number of ids (largest id + 1). */
  readonly vocabSize: number;
  /** Default `maxLength` of {@link encode}. */
  readonly modelMaxLength: number;
  /** Raw contents of the tokenizer files, by file name, for saving alongside a checkpoint. */
  readonly files: Record<string, string>;
  readonly #hf: HfTokenizer;
  readonly #ids: Map<string, number>;
  readonly #tokens: string[];

  /** @internal use {@link loadTokenizer}. */
  constructor(hf: HfTokenizer, files: Record<string, string>, file: string) {
    this.#hf = hf;
    this.files = files;
    this.#ids = hf.get_vocab();
    this.#tokens = [];
    for (const [token, id] of this.#ids) this.#tokens[id] = token;
    this.vocabSize = this.#tokens.length;
    this.modelMaxLength = Math.min(hf.model_max_length || 512, 512);
    const special = (key: string, fallback: string): number => {
      const token = typeof hf.config[key] === "string" ? hf.config[key] as string : fallback;
      const id = this.#ids.get(token);
      if (id === undefined) throw new InputError(`the vocabulary has no ${token} token (${key})`, { file });
      return id;
    };
    this.specialIds = {
      cls: special("cls_token", "[CLS]"),
      sep: special("sep_token", "[SEP]"),
      pad: special("pad_token", "[PAD]"),
      mask: special("mask_token", "[MASK]"),
      unk: special("unk_token", "[UNK]"),
    };
  }

  /** WordPiece tokens of `text`, no special tokens added; `[MASK]` inside the text stays one token. */
  tokenize(text: string): string[] {
    return this.#hf.tokenize(text);
  }

  /** Ids of `tokens`; unknown tokens give the `[UNK]` id. */
  convertTokensToIds(tokens: readonly string[]): number[] {
    return tokens.map((t) => this.#ids.get(t) ?? this.specialIds.unk);
  }

  /** The token of `id`. @throws RangeError for an id outside the vocabulary. */
  idToToken(id: number): string {
    const t = this.#tokens[id];
    if (t === undefined) throw new RangeError(`token id ${id} outside the vocabulary of ${this.vocabSize}`);
    return t;
  }

  /** Ids of `text` without special tokens. */
  encodeText(text: string): number[] {
    return this.#hf.encode(text, { add_special_tokens: false });
  }

  /**
   * Encode a batch as BERT input: `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`, truncated longest-first to
   * `maxLength`, padded with `[PAD]` (attention mask 0, token type 0).
   * @example
   * ```ts
   * tok.encode(["好评"], { maxLength: 8, padding: "max_length" }).inputIds; // [[2, x, y, 3, 0, 0, 0, 0]]
   * ```
   */
  encode(texts: readonly string[], opts: EncodeOptions = {}): Encoding {
    const { maxLength = this.modelMaxLength, padding = "longest", padToMultipleOf = 1, textPairs } = opts;
    if (textPairs && textPairs.length !== texts.length) {
      throw new RangeError(`encode: ${texts.length} texts but ${textPairs.length} textPairs`);
    }
    const budget = maxLength - (textPairs ? 3 : 2);
    if (budget < 0) throw new RangeError(`encode: maxLength ${maxLength} leaves no room for special tokens`);
    const { cls, sep, pad } = this.specialIds;
    let truncated = 0;
    const rows = texts.map((text, i) => {
      const a = this.encodeText(text);
      const b = textPairs ? this.encodeText(textPairs[i]) : [];
      if (truncateLongestFirst(a, b, budget)) truncated++;
      const ids = [cls, ...a, sep];
      const types = ids.map(() => 0);
      if (textPairs) { for (const id of [...b, sep]) ids.push(id), types.push(1); }
      return { ids, types };
    });
    const longest = padding === "max_length" ? maxLength : Math.max(0, ...rows.map((r) => r.ids.length));
    const length = Math.ceil(longest / padToMultipleOf) * padToMultipleOf;
    const padRow = (row: number[], value: number) => [...row, ...new Array(length - row.length).fill(value)];
    return {
      inputIds: rows.map((r) => padRow(r.ids, pad)),
      attentionMask: rows.map((r) => padRow(r.ids.map(() => 1), 0)),
      tokenTypeIds: rows.map((r) => padRow(r.types, 0)),
      length,
      truncated,
    };
  }
}

/**
 * Cut `a` and `b` (tokens or their ids, in place) to `budget` tokens together, Hugging Face's `longest_first`:
 * one token at a time from the end of the longer, of `b` when they are as long. Returns whether anything was cut.
 */
export function truncateLongestFirst<T>(a: T[], b: T[], budget: number): boolean {
  if (a.length + b.length <= budget) return false;
  while (a.length + b.length > budget) (a.length > b.length ? a : b).pop();
  return true;
}

// transformers.js reads its location from the global `env`: loads run one at a time so they cannot mix.
let loading: Promise<unknown> = Promise.resolve();

/**
 * Load the tokenizer of a model folder offline (or, with `allowRemote`, of a Hub id).
 * @throws InputError naming the file: a missing or invalid tokenizer.json / tokenizer_config.json (or vocab.txt
 *   settings), a vocabulary without `[MASK]` (or another special token).
 */
export function loadTokenizer(dirOrId: string, opts: LoadTokenizerOptions = {}): Promise<BertTokenizer> {
  const next = loading.then(() => load(dirOrId, opts));
  loading = next.catch(() => {});
  return next;
}

async function load(dirOrId: string, { allowRemote = false }: LoadTokenizerOptions): Promise<BertTokenizer> {
  if (allowRemote) {
    env.allowRemoteModels = true;
    const hf = await AutoTokenizer.from_pretrained(dirOrId) as unknown as HfTokenizer;
    return new BertTokenizer(hf, {}, dirOrId);
  }
  const dir = dirOrId.replace(/\/+$/, "");
  if (!(await exists(`${dir}/tokenizer.json`)) && (await exists(`${dir}/${VOCAB_FILE}`))) return await loadVocabOnly(dir);
  const files = await readTokenizerFiles(dir);
  const slash = dir.lastIndexOf("/");
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = slash >= 0 ? `${dir.slice(0, slash)}/` : "./";
  const file = `${dir}/tokenizer.json`;
  let hf: HfTokenizer;
  try {
    hf = await AutoTokenizer.from_pretrained(dir.slice(slash + 1)) as unknown as HfTokenizer;
  } catch (err) {
    throw new InputError(`transformers.js could not load the tokenizer: ${(err as Error).message}`, { file });
  }
  return new BertTokenizer(hf, files, file);
}

/**
 * A `vocab.txt` folder: its tokenizer.json is built in memory and handed to transformers.js; `files` holds it
 * too, so a saved copy of the folder carries a tokenizer.json.
 */
async function loadVocabOnly(dir: string): Promise<BertTokenizer> {
  const { tokenizerJson, tokenizerConfig, tokenizerConfigText } = await readVocabTokenizer(dir);
  const file = `${dir}/${VOCAB_FILE}`;
  const hf = new HfBertTokenizer(tokenizerJson, tokenizerConfig) as unknown as HfTokenizer;
  const files: Record<string, string> = {
    "tokenizer.json": JSON.stringify(tokenizerJson),
    "tokenizer_config.json": tokenizerConfigText,
    [VOCAB_FILE]: await Deno.readTextFile(file),
  };
  const map = `${dir}/special_tokens_map.json`;
  if (await exists(map)) files["special_tokens_map.json"] = await Deno.readTextFile(map);
  return new BertTokenizer(hf, files, file);
}

/** Check and read the tokenizer files of `dir` (required ones must exist and parse as JSON). */
async function readTokenizerFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of TOKENIZER_FILES) {
    await readJsonFile(`${dir}/${name}`);
    files[name] = await Deno.readTextFile(`${dir}/${name}`);
  }
  for (const name of OPTIONAL_TOKENIZER_FILES) {
    try {
      files[name] = await Deno.readTextFile(`${dir}/${name}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return files;
}

/**
 * Files of a BERT WordPiece tokenizer over `vocab` (BertNormalizer lowercasing and splitting CJK characters,
 * BertPreTokenizer, WordPiece with `##` continuations), in the layout the HF `tokenizers` library writes.
 * `vocab` must hold `[PAD] [UNK] [CLS] [SEP] [MASK]` for a usable BERT tokenizer; the id of a token is its index.
 * `modelMaxLength` is the default maximum length written to tokenizer_config.json.
 * @example
 * ```ts
 * const files = bertTokenizerFiles(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "好"]);
 * for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`m/${name}`, text);
 * ```
 */
export function bertTokenizerFiles(vocab: readonly string[], modelMaxLength = 512): Record<string, string> {
  const specialMap = DEFAULT_WORDPIECE.special;
  const config = {
    tokenizer_class: "BertTokenizer",
    do_lower_case: DEFAULT_WORDPIECE.do_lower_case,
    tokenize_chinese_chars: DEFAULT_WORDPIECE.tokenize_chinese_chars,
    model_max_length: modelMaxLength,
    ...specialMap,
  };
  return {
    "tokenizer.json": JSON.stringify(bertTokenizerJson(vocab)),
    "tokenizer_config.json": JSON.stringify(config, null, 2),
    "special_tokens_map.json": JSON.stringify(specialMap, null, 2),
    "vocab.txt": vocab.join("\n") + "\n",
  };
}
