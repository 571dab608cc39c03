/**
 * A character-level WordPiece vocabulary built from a corpus, as Chinese BERTs have: every CJK character and
 * punctuation mark is its own token, other runs (Latin words, numbers) split into a first character and
 * `##` continuation characters.
 */

/** Special tokens, at ids 0..4 as the kit's models and the reference model place them. */
export const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2a6df}\u{2a700}-\u{2ceaf}\u{2f800}-\u{2fa1f}]/u;
const PUNCT = /[\p{P}\p{S}]/u;

/**
 * Words as BERT's normaliser and pre-tokeniser see them: control characters dropped, accents stripped,
 * lower case, CJK characters and punctuation split off, whitespace separating the rest.
 */
export function bertWords(text: string): string[] {
  const clean = text.normalize("NFD").replace(/\p{Mn}/gu, "").toLowerCase();
  const words: string[] = [];
  let run = "";
  const flush = () => {
    if (run) words.push(run);
    run = "";
  };
  for (const ch of clean) {
    if (/\s/u.test(ch)) flush();
    else if (/\p{Cc}|\p{Cf}|\ufffd/u.test(ch)) continue;
    else if (CJK.test(ch) || PUNCT.test(ch)) {
      flush();
      words.push(ch);
    } else run += ch;
  }
  flush();
  return words;
}

/** Options of {@link buildVocab}. */
export interface VocabOptions {
  /** Keep pieces seen at least this often. */
  minFreq: number;
  /** Cap on the vocabulary size, special tokens included (most frequent pieces kept). */
  maxSize?: number;
}

/**
 * Count pieces over `texts` and return the vocabulary: the special tokens, then pieces by descending
 * frequency (ties by code point, so the result is deterministic).
 */
export function buildVocab(texts: Iterable<string>, { minFreq, maxSize = Infinity }: VocabOptions): string[] {
  const counts = new Map<string, number>();
  const add = (piece: string) => counts.set(piece, (counts.get(piece) ?? 0) + 1);
  for (const text of texts) {
    for (const word of bertWords(text)) {
      const chars = [...word];
      add(chars[0]);
      for (const c of chars.slice(1)) add(`##${c}`);
    }
  }
  const pieces = [...counts].filter(([, n]) => n >= minFreq)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([p]) => p);
  return [...SPECIAL_TOKENS, ...pieces].slice(0, maxSize);
}
