/**
 * A BERT WordPiece tokenizer described as `tokenizer.json`, built from a vocabulary and the settings of
 * `tokenizer_config.json` exactly as transformers' `BertConverter` builds the fast tokenizer of a
 * `vocab.txt`-only folder: BertNormalizer (clean text, spaces around CJK characters, lower-casing, accents),
 * BertPreTokenizer (whitespace and punctuation), WordPiece with `##` continuations and `[UNK]` for words over
 * 100 characters, special tokens matched before normalisation.
 *
 * Handing this object to the same tokenizer library that reads `tokenizer.json` files guarantees that a
 * `vocab.txt` folder tokenizes exactly as its `tokenizer.json` twin.
 *
 * @example
 * ```ts
 * const { tokenizerJson, tokenizerConfig } = await readVocabTokenizer("bert-base-chinese");
 * ```
 * @module
 */
import { InputError } from "../../util/errors.ts";
import { exists } from "../../util/fs.ts";
import { readJsonFile } from "../../util/json_file.ts";

/** The special-token roles of a BERT tokenizer. */
export const SPECIAL_ROLES = ["unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] as const;
type Role = typeof SPECIAL_ROLES[number];

/** Settings of a BERT WordPiece tokenizer, as `tokenizer_config.json` names them. */
export interface WordPieceSettings {
  do_lower_case: boolean;
  tokenize_chinese_chars: boolean;
  /** null: strip accents when lower-casing (BERT's default). */
  strip_accents: boolean | null;
  /** Token of each special role. */
  special: Record<Role, string>;
  /** Further special tokens (`additional_special_tokens`), kept whole like the roles'. */
  additional: string[];
}

/** transformers' `BertTokenizer` defaults. */
export const DEFAULT_WORDPIECE: WordPieceSettings = {
  do_lower_case: true,
  tokenize_chinese_chars: true,
  strip_accents: null,
  special: { unk_token: "[UNK]", sep_token: "[SEP]", pad_token: "[PAD]", cls_token: "[CLS]", mask_token: "[MASK]" },
  additional: [],
};

/** tokenizer.json's `added_tokens` entries of special tokens (never split, never normalised), by id. */
export function addedTokens(specials: readonly string[], idOf: (token: string) => number) {
  return specials.map((content) => ({
    id: idOf(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  })).sort((a, b) => a.id - b.id);
}

/**
 * tokenizer.json of a BERT WordPiece tokenizer over `vocab` (a token's id is its index; a repeated token keeps
 * its last index, as transformers' `load_vocab` does). Special tokens missing from `vocab` are left out; the
 * tokenizer wrapper names them.
 */
export function bertTokenizerJson(vocab: readonly string[], settings: WordPieceSettings = DEFAULT_WORDPIECE): Record<string, unknown> {
  const ids: Record<string, number> = {};
  vocab.forEach((t, i) => (ids[t] = i));
  const { special } = settings;
  const specials = [...new Set([...SPECIAL_ROLES.map((r) => special[r]), ...settings.additional])].filter((t) => t in ids);
  const token = (id: string, type_id: number) => ({ SpecialToken: { id, type_id } });
  const seq = (id: string, type_id: number) => ({ Sequence: { id, type_id } });
  const { cls_token: cls, sep_token: sep } = special;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens(specials, (t) => ids[t]),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: settings.tokenize_chinese_chars,
      strip_accents: settings.strip_accents,
      lowercase: settings.do_lower_case,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [token(cls, 0), seq("A", 0), token(sep, 0)],
      pair: [token(cls, 0), seq("A", 0), token(sep, 0), seq("B", 1), token(sep, 1)],
      special_tokens: Object.fromEntries([cls, sep].filter((t) => t in ids).map((t) => [t, { id: t, ids: [ids[t]], tokens: [t] }])),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: special.unk_token,
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

/** What {@link readVocabTokenizer} builds from a folder. */
export interface VocabTokenizer {
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json's object with the special tokens resolved to strings (what transformers.js reads). */
  tokenizerConfig: Record<string, unknown>;
  /** tokenizer_config.json as written (generated from the defaults when the folder has none). */
  tokenizerConfigText: string;
}

/**
 * Build the tokenizer of a folder that ships `vocab.txt` (and optionally `tokenizer_config.json`,
 * `special_tokens_map.json`) but no `tokenizer.json`. Reads `do_lower_case`, `tokenize_chinese_chars`,
 * `strip_accents`, the special tokens and `additional_special_tokens`; as with transformers' fast tokenizer,
 * `never_split` has no effect.
 * @throws InputError naming the file: an empty vocab.txt, a setting of the wrong type, a non-empty
 *   `added_tokens.json` (tokens outside vocab.txt are not supported).
 */
export async function readVocabTokenizer(dir: string): Promise<VocabTokenizer> {
  const vocabFile = `${dir}/vocab.txt`;
  // Python's readlines with universal newlines, each token the line without its end.
  const lines = (await Deno.readTextFile(vocabFile)).split(/\r\n|\r|\n/);
  if (lines.at(-1) === "") lines.pop();
  if (!lines.length) throw new InputError("empty vocabulary", { file: vocabFile });

  const configFile = `${dir}/tokenizer_config.json`;
  const hasConfig = await exists(configFile);
  const raw = hasConfig ? asObject(await readJsonFile(configFile), configFile) : {};
  const mapFile = `${dir}/special_tokens_map.json`;
  const map = (await exists(mapFile)) ? asObject(await readJsonFile(mapFile), mapFile) : {};
  const addedFile = `${dir}/added_tokens.json`;
  if ((await exists(addedFile)) && Object.keys(asObject(await readJsonFile(addedFile), addedFile)).length) {
    throw new InputError("tokens added beyond vocab.txt are not supported", { file: addedFile });
  }

  const flag = (key: "do_lower_case" | "tokenize_chinese_chars"): boolean => {
    const v = raw[key] ?? DEFAULT_WORDPIECE[key];
    if (typeof v !== "boolean") throw new InputError(`must be true or false (got ${JSON.stringify(v)})`, { file: configFile, field: key });
    return v;
  };
  const strip = raw.strip_accents ?? null;
  if (strip !== null && typeof strip !== "boolean") {
    throw new InputError(`must be true, false or null (got ${JSON.stringify(strip)})`, { file: configFile, field: "strip_accents" });
  }
  const special = Object.fromEntries(SPECIAL_ROLES.map((role) => {
    const [value, file] = role in raw
      ? [raw[role], configFile]
      : role in map
      ? [map[role], mapFile]
      : [DEFAULT_WORDPIECE.special[role], ""];
    return [role, tokenText(value, file, role)];
  })) as Record<Role, string>;
  const extra = raw.additional_special_tokens ?? map.additional_special_tokens ?? [];
  if (!Array.isArray(extra)) throw new InputError("must be a list of tokens", { file: configFile, field: "additional_special_tokens" });
  const settings: WordPieceSettings = {
    do_lower_case: flag("do_lower_case"),
    tokenize_chinese_chars: flag("tokenize_chinese_chars"),
    strip_accents: strip as boolean | null,
    special,
    additional: extra.map((t) => tokenText(t, configFile, "additional_special_tokens")),
  };
  const tokenizerJson = bertTokenizerJson(lines, settings);
  const tokenizerConfig = { tokenizer_class: "BertTokenizer", ...raw, ...special, additional_special_tokens: settings.additional };
  const tokenizerConfigText = hasConfig ? await Deno.readTextFile(configFile) : JSON.stringify(
    { ...tokenizerConfig, do_lower_case: settings.do_lower_case, tokenize_chinese_chars: settings.tokenize_chinese_chars },
    null,
    2,
  ) + "\n";
  return { tokenizerJson, tokenizerConfig, tokenizerConfigText };
}

/** A special token as a string or as transformers' serialised AddedToken (`{"content": ...}`). */
function tokenText(value: unknown, file: string, field: string): string {
  const content = typeof value === "object" && value !== null ? (value as { content?: unknown }).content : value;
  if (typeof content !== "string" || !content) throw new InputError(`not a token: ${JSON.stringify(value)}`, { file, field });
  return content;
}

function asObject(v: unknown, file: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InputError("expected a JSON object", { file });
  return v as Record<string, unknown>;
}
