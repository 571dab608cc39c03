/**
 * A T5 run for inference: encoder states, greedy decoding, and the log-likelihood of given targets (rank
 * classification). One compiled session per graph shape, cached; greedy decoding runs the encoder once and
 * then the export's decoder (`deploy_graph.ts`, run-time shapes: one session for every step and batch) once per
 * token on that token alone, the self-attention keys and values of the tokens before it fed back as its cache.
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
import { Graph, type TensorData, type Value } from "../../engine/graph.ts";
import type { DimNames } from "../../engine/onnx_export.ts";
import { feedsFor, SessionCache } from "../../engine/session.ts";
import { argmax } from "../../eval/metrics.ts";
import type { TensorMap } from "../../util/tensor.ts";
import { GraphParams } from "../params.ts";
import type { T5Config } from "./config.ts";
import { cacheNames, deployDecoder } from "./deploy_graph.ts";
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

  /** Compile (once per key) a graph of the frozen model with the named outputs (`dims`: its run-time dimensions). */
  #session(key: string, build: (g: Graph, params: GraphParams) => { outputs: Record<string, Value>; dims?: DimNames }) {
    return this.#sessions.get(key, () => {
      const graph = new Graph();
      return { graph, ...build(graph, new GraphParams(graph, this.weights, () => false)) };
    });
  }

  /** The encoder's last states of a batch, rows [B·S, d_model] flattened. */
  async encode(batch: T5Encoding): Promise<Float32Array> {
    const [B, S] = [batch.inputIds.length, batch.inputIds[0].length];
    const session = await this.#session(`encoder:${B}x${S}`, (g, params) => {
      const encoderEmbeds = this.softPrompt ? firstPositionsPrompt(params.get(this.softPrompt), B, S) : undefined;
      return { outputs: { states: buildT5Encoder(g, this.config, params.get, { batch: B, srcLen: S, encoderEmbeds }).states } };
    });
    const given = { input_ids: int64(batch.inputIds), attention_mask: float32(batch.attentionMask) };
    return (await session.run(feedsFor(session, given, this.weights))).states as Float32Array;
  }

  /** The summed log-likelihood [B] of each row's `labels` [B, T] (teacher-forced) given encoder `states` of `batch`. */
  async #logLikelihood(batch: T5Encoding, states: Float32Array, labels: number[][]): Promise<Float32Array> {
    const [B, S, T] = [batch.inputIds.length, batch.inputIds[0].length, labels[0].length];
    const session = await this.#session(`decoder:${B}x${S}x${T}`, (g, params) => {
      const { logits } = buildT5Decoder(g, this.config, params.get, { batch: B, srcLen: S, tgtLen: T });
      return { outputs: { logLikelihood: sequenceLogLikelihood(logits, g.input("labels", [B, T], "int64")) } };
    });
    const given = {
      encoder_states: states,
      attention_mask: float32(batch.attentionMask),
      decoder_input_ids: int64(shiftRight(labels, this.config)),
      labels: int64(labels),
    };
    return (await session.run(feedsFor(session, given, this.weights))).logLikelihood as Float32Array;
  }

  /**
   * Greedy decoding of up to `maxNewTokens` tokens per row, as HF `generate` does without sampling: rows that
   * produced `</s>` go on with `<pad>`, and decoding stops once every row has. Returns the generated ids
   * (decoder start token excluded), rows of equal length.
   */
  async greedy(batch: T5Encoding, maxNewTokens: number): Promise<number[][]> {
    const { pad_token_id: pad, eos_token_id: eos, decoder_start_token_id: start, vocab_size: V } = this.config;
    const { num_heads: H, d_kv: d, d_model: D, num_decoder_layers: layers } = this.config;
    const [B, S] = [batch.inputIds.length, batch.inputIds[0].length];
    const given: Record<string, TensorData> = {
      encoder_hidden_states: await this.encode(batch),
      encoder_attention_mask: int64(batch.attentionMask),
    };
    const shapes: Record<string, number[]> = { input_ids: [B, 1], encoder_hidden_states: [B, S, D], encoder_attention_mask: [B, S] };
    const caches = Array.from({ length: layers }, (_, i) => [cacheNames("past_key_values", i), cacheNames("present", i)] as const);
    for (const [past] of caches) {
      for (const name of [past.key, past.value]) [given[name], shapes[name]] = [new Float32Array(0), [B, H, 0, d]];
    }
    const session = await this.#session("decoder:cached", (g, params) => deployDecoder(g, this.config, params.get));
    const next = new Array(B).fill(start);
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array(B).fill(false);
    for (let t = 0; t < maxNewTokens && !done.every(Boolean); t++) {
      given.input_ids = int64([next]);
      const result = await session.run(feedsFor(session, given, this.weights), shapes);
      const logits = result.logits as Float32Array;
      for (let b = 0; b < B; b++) {
        next[b] = done[b] ? pad : argmax(Array.from(logits.subarray(b * V, (b + 1) * V)));
        out[b].push(next[b]);
        done[b] ||= next[b] === eos;
      }
      // This step's keys and values, one position longer, are the next step's past.
      for (const [past, now] of caches) {
        [given[past.key], given[past.value]] = [result[now.key], result[now.value]];
        shapes[past.key] = shapes[past.value] = [B, H, t + 1, d];
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
      const ll = await this.#logLikelihood(batch, states, labels);
      for (let b = 0; b < B; b++) scores[b].push(Number(ll[b]));
    }
    return scores;
  }

  /** Free the compiled sessions. */
  release(): Promise<void> {
    return this.#sessions.clear();
  }
}
