/**
 * A T5 run for inference: encoder states, greedy decoding, and the log-likelihood of given targets (rank
 * classification). One compiled session per graph shape, cached; greedy decoding runs the encoder once and
 * the decoder graph once per token over the whole target length (no key/value cache yet: the causal mask
 * makes the padding after the current token irrelevant to its logits).
 *
 * @example
 * ```ts
 * const { config, weights, tokenizer } = await loadT5Folder(dir);
 * const t5 = new T5Runner(config, weights);
 * const batch = tokenizer.encodeBatch(["这个手机很好"]);
 * const [ids] = await t5.greedy(batch, 8); // tokenizer.decode(ids)
 * await t5.release();
 * ```
 * @module
 */
import { Graph, type Value } from "../../engine/graph.ts";
import { feedsFor, SessionCache } from "../../engine/session.ts";
import { argmax } from "../../eval/metrics.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { GraphParams } from "../params.ts";
import type { T5Config } from "./config.ts";
import { buildT5Decoder, buildT5Encoder } from "./graph.ts";
import { IGNORE_LABEL, sequenceLogLikelihood, shiftRight } from "./loss.ts";
import { firstPositionsPrompt } from "./soft_prompt.ts";
import type { T5Encoding } from "./tokenizer.ts";

const int64 = (rows: readonly (readonly number[])[]) => BigInt64Array.from(rows.flat(), BigInt);
const float32 = (rows: readonly (readonly number[])[]) => Float32Array.from(rows.flat());

/** Inference on a T5's weights (all frozen). */
export class T5Runner {
  readonly #sessions = new SessionCache();

  /**
   * @param softPrompt name of a [P, d_model] tensor of `weights` whose rows replace the token embeddings of the
   *   first P input positions (prompt tuning; `soft_prompt.ts`).
   */
  constructor(readonly config: T5Config, readonly weights: TensorMap, readonly softPrompt?: string) {}

  /** Compile (once per key) a graph of the frozen model with the named outputs. */
  #session(key: string, build: (g: Graph, params: GraphParams) => Record<string, Value>) {
    return this.#sessions.get(key, () => {
      const graph = new Graph();
      return { graph, outputs: build(graph, new GraphParams(graph, this.weights, () => false)) };
    });
  }

  /** The encoder's last states of a batch, rows [B·S, d_model] flattened. */
  async encode(batch: T5Encoding): Promise<Float32Array> {
    const [B, S] = [batch.inputIds.length, batch.inputIds[0].length];
    const session = await this.#session(`encoder:${B}x${S}`, (g, params) => {
      const encoderEmbeds = this.softPrompt ? firstPositionsPrompt(params.get(this.softPrompt), B, S) : undefined;
      return { states: buildT5Encoder(g, this.config, params.get, { batch: B, srcLen: S, encoderEmbeds }).states };
    });
    const given = { input_ids: int64(batch.inputIds), attention_mask: float32(batch.attentionMask) };
    return (await session.run(feedsFor(session, given, this.weights))).states as Float32Array;
  }

  /**
   * Decoder outputs for encoder `states` of `batch` and decoder rows of length T: the logits [B·T, vocab]
   * (`logits`), or with `labels` the summed log-likelihood of each row's labels [B] (`logLikelihood`).
   */
  async #decode(batch: T5Encoding, states: Float32Array, decoderInputIds: number[][], labels?: number[][]) {
    const [B, S, T] = [batch.inputIds.length, batch.inputIds[0].length, decoderInputIds[0].length];
    const session = await this.#session(`decoder:${B}x${S}x${T}:${labels ? "score" : "logits"}`, (g, params): Record<string, Value> => {
      const { logits } = buildT5Decoder(g, this.config, params.get, { batch: B, srcLen: S, tgtLen: T });
      return labels ? { logLikelihood: sequenceLogLikelihood(logits, g.input("labels", [B, T], "int64")) } : { logits };
    });
    const given = {
      encoder_states: states,
      attention_mask: float32(batch.attentionMask),
      decoder_input_ids: int64(decoderInputIds),
      ...(labels ? { labels: int64(labels) } : {}),
    };
    return await session.run(feedsFor(session, given, this.weights));
  }

  /**
   * Greedy decoding of up to `maxNewTokens` tokens per row, as HF `generate` does without sampling: rows that
   * produced `</s>` go on with `<pad>`, and decoding stops once every row has. Returns the generated ids
   * (decoder start token excluded), rows of equal length.
   */
  async greedy(batch: T5Encoding, maxNewTokens: number): Promise<number[][]> {
    const { pad_token_id: pad, eos_token_id: eos, decoder_start_token_id: start, vocab_size: V } = this.config;
    const states = await this.encode(batch);
    const B = batch.inputIds.length, T = maxNewTokens;
    const rows = Array.from({ length: B }, () => [start, ...new Array(T - 1).fill(pad)]);
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array(B).fill(false);
    for (let t = 0; t < T && !done.every(Boolean); t++) {
      const logits = (await this.#decode(batch, states, rows)).logits as Float32Array;
      for (let b = 0; b < B; b++) {
        const at = (b * T + t) * V;
        const next = done[b] ? pad : argmax(Array.from(logits.subarray(at, at + V)));
        out[b].push(next);
        if (t + 1 < T) rows[b][t + 1] = next;
        done[b] ||= next === eos;
      }
    }
    return out;
  }

  /**
   * Log-likelihood of each candidate target given each input: [input][candidate], the sum over the target's
   * tokens (give them with their closing `</s>`, as {@link T5Tokenizer.encode} does) of log p(token | input,
   * tokens before).
   */
  async logLikelihoods(batch: T5Encoding, candidates: readonly (readonly number[])[]): Promise<number[][]> {
    const states = await this.encode(batch);
    const B = batch.inputIds.length, T = Math.max(...candidates.map((c) => c.length));
    const scores: number[][] = Array.from({ length: B }, () => []);
    for (const candidate of candidates) {
      const labels = new Array(B).fill([...candidate, ...new Array(T - candidate.length).fill(IGNORE_LABEL)]);
      const ll = (await this.#decode(batch, states, shiftRight(labels, this.config), labels)).logLikelihood;
      for (let b = 0; b < B; b++) scores[b].push(Number(ll[b]));
    }
    return scores;
  }

  /** Free the compiled sessions. */
  release(): Promise<void> {
    return this.#sessions.clear();
  }
}
