/**
 * How a prompt's `[MASK]` slot is read, for PET's patterns and the prompt patterns of the soft prompt alike:
 * the verbalizer (label words per class, or each row's own candidates on multiple choice,
 * `choice_scores.ts`), the encoding, the graph inputs of a packed batch, and the class scores.
 */
import type { Graph, TensorData, Value } from "../../engine/graph.ts";
import type { TextInput, TokenBatch, TokenSeq } from "../../model/batch.ts";
import type { EncoderGraph } from "../../model/backbone.ts";
import type { ModelFolder } from "../../model/folder.ts";
import type { BertTokenizer } from "../../model/tokenizers/tokenizer.ts";
import { candidateIds, CANDIDATES, candidatesVerbalizer, choiceColumns, choiceScores, type ChoiceSeq } from "./choice_scores.ts";
import { encodePrompts, maskRows, type Template } from "./template.ts";
import { buildVerbalizer, classScores, type Verbalizer, type VerbalizerSpec } from "./verbalizer.ts";

/** `buildVerbalizer`, or the candidates verbalizer for {@link CANDIDATES}. */
export function resolveVerbalizer(tok: BertTokenizer, labels: readonly string[], spec: VerbalizerSpec | string): Verbalizer {
  return spec === CANDIDATES ? candidatesVerbalizer(labels) : buildVerbalizer(tok, labels, spec);
}

/** What a saved predictor stores of `v`: its words per label, or {@link CANDIDATES}. */
export function verbalizerSource(v: Verbalizer): Record<string, string[]> | string {
  return v.candidates ? CANDIDATES : v.spec;
}

/** `inputs` in `template` with the verbalizer's masks, and on multiple choice each row's candidate ids. */
export function encodeReadout(
  tok: BertTokenizer,
  template: Template,
  inputs: readonly TextInput[],
  v: Verbalizer,
  maxLength: number,
): { seqs: TokenSeq[]; truncated: number } {
  const enc = encodePrompts(tok, template, inputs, { maskCount: v.maskCount, maxLength });
  if (!v.candidates) return enc;
  const seqs = enc.seqs.map((s, i): ChoiceSeq => ({ ...s, candidates: candidateIds(tok, inputs[i], v.words.length, v.maskCount) }));
  return { seqs, truncated: enc.truncated };
}

/** Graph inputs of a packed batch (rows `part`) beyond its tokens: its masks' rows and, on multiple choice, its candidates. */
export function readoutFeeds(b: TokenBatch, part: readonly TokenSeq[], model: ModelFolder, v: Verbalizer): Record<string, TensorData> {
  const mask_rows = maskRows(b, model.tokenizer.specialIds.mask, v.maskCount);
  if (!v.candidates) return { mask_rows };
  return {
    mask_rows,
    ...choiceColumns(part as readonly ChoiceSeq[], b.batch, v.words.length, v.maskCount, model.backbone.sizes.vocabSize),
  };
}

/** Class scores [batch, C] read at the masks of a BERT graph of `batch` rows, with the inputs {@link readoutFeeds} feeds. */
export function readoutScores(g: Graph, bert: EncoderGraph, batch: number, v: Verbalizer): Value {
  const m = v.maskCount;
  const rows = g.input("mask_rows", [batch * m], "int64");
  if (!v.candidates) return classScores(bert, rows, v);
  return choiceScores(bert, rows, g.input("choice_columns", [batch, v.words.length * m], "int64"), m);
}
