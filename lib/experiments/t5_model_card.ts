/**
 * The model card of a T5 the kit pre-trained with span corruption (`cli pretrain --arch t5`): architecture,
 * tokenizer, corpus, training log and the held-out span-corruption score. The methods do not run on T5 yet, so
 * unlike a BERT's card it has no zero-shot or few-shot comparison.
 * @module
 */
import type { T5Config } from "../model/t5/config.ts";
import { corpusSection, type TrainingLog, trainingSection } from "./model_card.ts";

/** The README.md of kit-pretrained T5 `name` with `parameters` weights in all. */
export function t5ModelCard(name: string, config: T5Config, log: TrainingLog, parameters: number): string {
  const o = [...(log.stages ?? []), log][0].options;
  const ff = config.gated ? `gated-GELU feed-forward (d_ff ${config.d_ff})` : `ReLU feed-forward (d_ff ${config.d_ff})`;
  return `# ${name}

A small Chinese T5 (encoder-decoder, span corruption) pre-trained by promptlab itself
(\`deno task cli pretrain --arch t5\`). The kit's default T5 size has about the parameter count of its default BERT
(\`promptlab-bert-zh-L4-H256\`, 4,380,427), so that masked LM and span corruption compare at equal size.
Hugging Face layout (config.json, model.safetensors, tokenizer.json, tokenizer_config.json).

## Architecture

T5ForConditionalGeneration (${config.model_type}), ${config.num_layers} encoder and ${config.num_decoder_layers} decoder blocks, d_model
${config.d_model}, ${config.num_heads} heads of ${config.d_kv}, ${ff}, RMS layer norm (eps ${config.layer_norm_epsilon}),
${config.relative_attention_num_buckets} relative-position buckets up to distance ${config.relative_attention_max_distance}, ${
    config.tie_word_embeddings ? "head tied to the embeddings" : "untied head"
  }, vocabulary ${config.vocab_size}, dropout ${config.dropout_rate}. ${parameters.toLocaleString("en")} parameters.

Tokenizer: a character-level SentencePiece Unigram model built from the training corpus (every character seen at
least ${o.minFreq} times, scored by its log relative frequency; \`▁\` a piece of its own), Metaspace pre-tokenizer, no
normalisation but runs of spaces; \`<pad>\`=0, \`</s>\`=1, \`<unk>\`=2, sentinels \`<extra_id_0>\` to
\`<extra_id_99>\` at the last ids (\`<extra_id_0>\` the very last).

${corpusSection(log)}

${
    trainingSection(
      log,
      "Span corruption as T5 builds it (15% of each text's tokens in spans of mean length 3, each span a sentinel in\nthe input, the target the sentinels with their spans, drawn afresh each step; tokens counted before corruption)",
    )
  }

The held-out score is the span-corruption loss (and target-token accuracy) on the held-out texts with fixed spans
(seed 1234): **loss ${log.heldout.loss.toFixed(4)}, accuracy ${log.heldout.accuracy.toFixed(4)}** over ${log.heldout.masked} target tokens.
It is not comparable with a BERT's masked-LM loss (other targets, sentinels and \`</s>\` included).

## Intended use and limits

A small model for experiments with the kit on CPUs, far weaker than published Chinese T5s; its corpus is
e-commerce, hotel, food-delivery reviews and news titles. Not for production use.
`;
}
