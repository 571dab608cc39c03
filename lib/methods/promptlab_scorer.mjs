/**
 * promptlab_scorer.mjs: class probabilities from a promptlab export, as the kit's predictor computes them,
 * for texts and sentence pairs alike, in any JavaScript runtime. It imports nothing: hand it the export's
 * transformers.js tokenizer and an onnxruntime session of `onnx/model.onnx` (onnxruntime-node or -web) with that
 * runtime's `Tensor` class, and the export's `config.json` (and, for PET, `promptlab.json`).
 *
 * Every export of the kit ships this file (`cli export`), because two pipelines of transformers.js fall short:
 * `text-classification` encodes a `{ text, text_pair }` input as an empty text (one answer for every pair), and
 * `fill-mask` scores only the first `[MASK]` and knows nothing of templates, verbalizers or calibration.
 *
 * It encodes token ids as the kit does, so no runtime's own truncation is involved:
 * - fine-tuning, P-tuning v2 (`config.json` with `id2label`): `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`
 *   (token types 0, then 1 for b), the texts cut to `model_max_length` longest-first; a softmax over the logits.
 * - PET and soft prompts (`promptlab.json`): `[CLS]`, the template's parts (literals and texts tokenized apart,
 *   a `[MASK]` or `[PAD]` typed in a text read as `[UNK]`), each soft slot `[P]` as a `[PAD]` (the graph puts the
 *   trained vector there), the mask slot as m `[MASK]`s (m: the longest label word in tokens), `[SEP]`;
 *   only the texts cut. A word of k tokens scores the sum of log p(its j-th token at mask j); a class the mean
 *   over its words; a softmax over classes, divided by the pattern's `calibration` and renormalised when it has
 *   one; several patterns averaged.
 *
 * This file is the kit's `lib/methods/promptlab_scorer.mjs`, copied; it must stay free of imports.
 *
 * @example
 * ```js
 * import * as ort from "onnxruntime-node";
 * import { AutoTokenizer, env } from "@huggingface/transformers";
 * import { readFileSync } from "node:fs";
 * import { createScorer } from "./exports/pet/promptlab_scorer.mjs";
 * env.localModelPath = "exports/";
 * const scorer = createScorer({
 *   tokenizer: await AutoTokenizer.from_pretrained("pet", { local_files_only: true }),
 *   session: await ort.InferenceSession.create("exports/pet/onnx/model.onnx"),
 *   Tensor: ort.Tensor,
 *   config: JSON.parse(readFileSync("exports/pet/config.json", "utf8")),
 *   promptlab: JSON.parse(readFileSync("exports/pet/promptlab.json", "utf8")), // PET only
 * });
 * const [proba] = await scorer.predictProba([{ text: "几点了", textB: "现在几点" }]); // in scorer.labels order
 * ```
 * @module
 */

/** Rows per run of the model: PET's logits are [rows, length, vocabulary] floats. */
const ROWS_PER_RUN = 16;

/**
 * A scorer of one export.
 * @param {{ tokenizer: any, session: any, Tensor: any, config: any, promptlab?: any }} parts
 * @returns {{ labels: string[], inputs: "text" | "pair" | undefined, predictProba(inputs: (string | { text: string, textB: string })[]): Promise<number[][]> }}
 */
export function createScorer({ tokenizer, session, Tensor, config, promptlab }) {
  const ids = specialIds(tokenizer);
  const encode = (text) => tokenizer.encode(text, { add_special_tokens: false });
  const run = (rows) => runModel(session, Tensor, rows, ids.pad);
  if (promptlab) return petScorer(promptlab, ids, encode, run);
  if (!config?.id2label) throw new Error("config.json has no id2label and there is no promptlab.json: not an export of the kit");
  const labels = Object.keys(config.id2label).sort((a, b) => Number(a) - Number(b)).map((k) => config.id2label[k]);
  const maxLength = tokenizer.model_max_length;
  return {
    labels,
    inputs: config.promptlab?.inputs,
    async predictProba(inputs) {
      const rows = inputs.map((input) => {
        const [a, b] = texts(input).map((t) => (t === undefined ? undefined : encode(t)));
        cutLongestFirst(a, b ?? [], maxLength - (b ? 3 : 2));
        const first = [ids.cls, ...a, ids.sep];
        const second = b ? [...b, ids.sep] : [];
        return { ids: [...first, ...second], types: [...first.map(() => 0), ...second.map(() => 1)] };
      });
      const out = [];
      for (const { logits } of await run(rows)) out.push(softmax(Array.from(logits)));
      return out;
    },
  };
}

/** The scorer of a PET export's `promptlab.json`. */
function petScorer(spec, ids, encode, run) {
  const patterns = spec.patterns.map((p) => {
    const parts = parseTemplate(p.template);
    const words = spec.labels.map((label) => {
      const list = p.verbalizer[label];
      if (!list?.length) throw new Error(`promptlab.json: label "${label}" has no words in template "${p.template}"`);
      return list.map((w) => {
        const wordIds = encode(w);
        if (!wordIds.length) throw new Error(`promptlab.json: word "${w}" has no tokens`);
        return wordIds;
      });
    });
    const masks = Math.max(...words.flat().map((w) => w.length));
    const fixed = 2 + masks +
      parts.reduce((n, part) => n + (part.literal !== undefined ? encode(part.literal).length : part.slot === "soft" ? 1 : 0), 0);
    if (fixed >= spec.maxLength) {
      throw new Error(`promptlab.json: template "${p.template}" leaves no room for the text in ${spec.maxLength} tokens`);
    }
    return { ...p, parts, words, masks, budget: spec.maxLength - fixed, pair: parts.some((part) => part.slot === "text_b") };
  });
  const pair = patterns[0].pair;
  return {
    labels: spec.labels,
    inputs: pair ? "pair" : "text",
    async predictProba(inputs) {
      const sums = inputs.map(() => spec.labels.map(() => 0));
      for (const p of patterns) {
        const rows = inputs.map((input) => {
          const [a, b] = texts(input).map((
            t,
          ) => (t === undefined ? [] : encode(t).map((id) => (id === ids.mask || id === ids.pad ? ids.unk : id))));
          if ((texts(input)[1] !== undefined) !== p.pair) {
            throw new Error(`template "${p.template}" takes ${p.pair ? "sentence pairs { text, textB }" : "single texts"}`);
          }
          cutLongestFirst(a, b, p.budget);
          const seq = [ids.cls];
          for (const part of p.parts) {
            if (part.literal !== undefined) seq.push(...encode(part.literal));
            else if (part.slot === "mask") { for (let j = 0; j < p.masks; j++) seq.push(ids.mask); }
            else if (part.slot === "soft") seq.push(ids.pad);
            else seq.push(...(part.slot === "text" ? a : b));
          }
          seq.push(ids.sep);
          return { ids: seq, types: seq.map(() => 0) };
        });
        (await run(rows)).forEach(({ logits, length }, i) => {
          const V = logits.length / length;
          const at = rows[i].ids.flatMap((id, l) => (id === ids.mask ? [logSoftmax(logits.subarray(l * V, (l + 1) * V))] : []));
          const scores = p.words.map((ws) => ws.reduce((s, w) => s + w.reduce((t, id, j) => t + at[j][id], 0), 0) / ws.length);
          let proba = softmax(scores);
          if (p.calibration) {
            const divided = proba.map((q, c) => q / p.calibration[c]);
            const total = divided.reduce((x, y) => x + y, 0);
            proba = divided.map((q) => q / total);
          }
          proba.forEach((q, c) => (sums[i][c] += q / patterns.length));
        });
      }
      return sums;
    },
  };
}

/** Parts of a template: `{ literal }`, or `{ slot: "text" | "text_b" | "mask" | "soft" }`. */
function parseTemplate(template) {
  const slots = { "{text}": "text", "{text_a}": "text", "{text_b}": "text_b", "[MASK]": "mask", "[P]": "soft" };
  const parts = [];
  let at = 0;
  for (const m of template.matchAll(/\{[^{}]*\}|\[MASK\]|\[P\]/g)) {
    if (m.index > at) parts.push({ literal: template.slice(at, m.index) });
    if (!slots[m[0]]) throw new Error(`template "${template}": unknown slot ${m[0]}`);
    parts.push({ slot: slots[m[0]] });
    at = m.index + m[0].length;
  }
  if (at < template.length) parts.push({ literal: template.slice(at) });
  return parts;
}

/** The ids of the special tokens the export's `tokenizer_config.json` names. */
function specialIds(tokenizer) {
  const id = (key) => {
    const entry = tokenizer.config?.[key];
    const token = typeof entry === "object" && entry !== null ? entry.content : entry;
    const found = typeof token === "string" ? tokenizer.convert_tokens_to_ids([token])[0] : undefined;
    if (found === undefined || found === null) throw new Error(`tokenizer_config.json names no ${key} in the vocabulary`);
    return found;
  };
  return { cls: id("cls_token"), sep: id("sep_token"), pad: id("pad_token"), mask: id("mask_token"), unk: id("unk_token") };
}

/** The texts of an input: `[text]` or `[text, textB]`. */
function texts(input) {
  return typeof input === "string" ? [input, undefined] : [input.text, input.textB];
}

/** Cut `a` and `b` in place to `budget` tokens together: from the end of the longer, of `b` when as long. */
function cutLongestFirst(a, b, budget) {
  while (a.length + b.length > budget) (a.length > b.length ? a : b).pop();
}

/** Run the model on rows of ids, `ROWS_PER_RUN` at a time, padded; each row's logits and padded length. */
async function runModel(session, Tensor, rows, pad) {
  const out = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_RUN) {
    const chunk = rows.slice(start, start + ROWS_PER_RUN);
    const L = Math.max(...chunk.map((r) => r.ids.length));
    const tensor = (f) =>
      new Tensor("int64", BigInt64Array.from(chunk.flatMap((r) => Array.from({ length: L }, (_, l) => BigInt(f(r, l))))), [
        chunk.length,
        L,
      ]);
    const { logits } = await session.run({
      input_ids: tensor((r, l) => r.ids[l] ?? pad),
      attention_mask: tensor((r, l) => (l < r.ids.length ? 1 : 0)),
      token_type_ids: tensor((r, l) => r.types[l] ?? 0),
    });
    const per = logits.data.length / chunk.length;
    chunk.forEach((_, i) => out.push({ logits: logits.data.subarray(i * per, (i + 1) * per), length: L }));
  }
  return out;
}

function softmax(xs) {
  const max = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

function logSoftmax(logits) {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const logZ = max + Math.log(sum);
  return Float64Array.from(logits, (x) => x - logZ);
}
