/**
 * Finite-difference checking of the engine's gradients: the analytic gradient of a random projection of a
 * graph's output against central differences, at sampled elements of each input.
 */
import { type DType, Graph, type TensorData, type Value } from "./graph.ts";
import { gradients } from "./autodiff.ts";
import { CompiledGraph } from "./session.ts";
import * as op from "./ops.ts";
import { Rng } from "../util/rng.ts";

/** What a check builds: float inputs to differentiate, other feeds, and the output. */
export interface GradcheckCase {
  /** Builds the graph; `inputs` are the values differentiated, `feeds` supplies every graph input. */
  build(g: Graph): { inputs: Value[]; out: Value };
  feeds: Record<string, TensorData>;
}

/** Worst disagreement found, per input. */
export interface GradcheckReport {
  /** max |analytic - numeric| / (atol + rtol |numeric|) per input; below 1 passes. */
  worst: Record<string, number>;
  passed: boolean;
}

/**
 * Compare analytic and central-difference gradients.
 *
 * @param samples elements checked per input (chosen with a seeded generator).
 */
export async function gradcheck(
  c: GradcheckCase,
  { eps = 1e-6, atol = 1e-7, rtol = 1e-5, samples = 12, seed = 0 } = {},
): Promise<GradcheckReport> {
  const g = new Graph();
  const { inputs, out } = c.build(g);
  const rng = new Rng(seed);
  const proj = new Float64Array(out.size).map(() => rng.normal());
  const projV = g.constant("proj", out.dtype === "float64" ? proj : Float32Array.from(proj), out.shape, out.dtype as DType);
  const loss = op.reduceSum(op.mul(out, projV), out.shape.map((_, i) => i));
  const grads = gradients(loss, inputs);
  const outputs: Record<string, Value> = { loss };
  grads.forEach((gv, i) => (outputs[`grad_${i}`] = gv));
  const compiled = await CompiledGraph.compile(g, outputs);
  const analytic = await compiled.run(c.feeds);
  const lossAt = async (feeds: Record<string, TensorData>) => Number((await compiled.run(feeds)).loss[0]);

  const worst: Record<string, number> = {};
  for (const [i, input] of inputs.entries()) {
    const base = c.feeds[input.name] as Float32Array | Float64Array;
    const picks = Array.from({ length: Math.min(samples, base.length) }, () => rng.int(base.length));
    let w = 0;
    for (const k of picks) {
      const plus = base.slice(), minus = base.slice();
      plus[k] += eps;
      minus[k] -= eps;
      const numeric = ((await lossAt({ ...c.feeds, [input.name]: plus })) - (await lossAt({ ...c.feeds, [input.name]: minus }))) /
        (plus[k] - minus[k]);
      const a = Number(analytic[`grad_${i}`][k]);
      w = Math.max(w, Math.abs(a - numeric) / (atol + rtol * Math.abs(numeric)));
    }
    worst[input.name] = w;
  }
  await compiled.release();
  return { worst, passed: Object.values(worst).every((w) => w < 1) };
}
