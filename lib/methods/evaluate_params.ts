/**
 * A value computed once from trained parameters, as an export bakes it in: P-tuning v2's prefix table through
 * its projection MLP, the soft prompt's vectors through its prompt encoder.
 */
import { Graph, type Value } from "../engine/graph.ts";
import { CompiledGraph } from "../engine/session.ts";
import type { ParamSource } from "../model/backbone.ts";
import { GraphParams } from "../model/params.ts";
import type { HostTensor, TensorMap } from "../util/tensor.ts";

/** The float32 value `build` computes from `tensors` (read as constants). */
export async function evaluateParams(tensors: TensorMap, build: (param: ParamSource) => Value): Promise<HostTensor> {
  const g = new Graph();
  const value = build(new GraphParams(g, tensors, () => false, "constants").get);
  const compiled = await CompiledGraph.compile(g, { value });
  try {
    return { shape: [...value.shape], data: (await compiled.run({})).value as Float32Array };
  } finally {
    await compiled.release();
  }
}
