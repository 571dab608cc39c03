/**
 * PET's class scores of a backbone with a masked-LM head: the encoder built into a graph, its int64 `mask_rows` input and the
 * verbalizer's scores at the masks. PET's predictions and loss use it, and so does multitask prompted
 * training (`lib/multitask/`), which trains one cross-entropy over these scores for many tasks.
 */
import type { Graph, Value } from "../../engine/graph.ts";
import type { Backbone } from "../../model/backbone.ts";
import type { GraphParams } from "../../model/params.ts";
import { classScores, type Verbalizer } from "./verbalizer.ts";

/** Shape of one scoring graph: rows, padded length, and whether dropout is on. */
export interface PatternShape {
  batch: number;
  seqLen: number;
  train: boolean;
}

/** Class scores [batch, C] of `backbone`'s encoder built into `g`; `mask_rows` [batch·m] is fed with `maskRows` (template.ts). */
export function patternScores(g: Graph, backbone: Backbone, params: GraphParams, verbalizer: Verbalizer, shape: PatternShape): Value {
  const encoder = backbone.encoder(g, params.get, shape);
  const rows = g.input("mask_rows", [shape.batch * verbalizer.maskCount], "int64");
  return classScores(encoder, rows, verbalizer);
}
