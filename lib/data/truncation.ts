/**
 * Long texts are truncated to the model's maximum length when encoded, never dropped; this counts how many
 * will be, so runs can report it. Token counting is the caller's (the tokenizer lives in lib/model).
 */

/** How many of `texts` exceed `maxLength` tokens. */
export interface TruncationReport {
  total: number;
  truncated: number;
  /** Longest length seen, in tokens. */
  longest: number;
  maxLength: number;
}

/**
 * Count the texts whose `length(text)` (tokens, including any special tokens the caller adds) exceeds
 * `maxLength`.
 */
export function truncationReport(
  texts: Iterable<string>,
  maxLength: number,
  length: (text: string) => number,
): TruncationReport {
  let total = 0, truncated = 0, longest = 0;
  for (const text of texts) {
    const n = length(text);
    total++;
    if (n > maxLength) truncated++;
    if (n > longest) longest = n;
  }
  return { total, truncated, longest, maxLength };
}
