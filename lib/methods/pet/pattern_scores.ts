/**
 * PET's class scores of a backbone with a masked-LM head: the encoder built into a graph, its int64 `mask_rows` input and the
 * verbalizer's scores at the masks (or each row's candidates', multiple choice: `mask_readout.ts`). PET's predictions and loss use it, and so does multitask prompted
 * training (`lib/multitask/`), which trains one cross-entropy over these scores for many tasks.
 */
import type { Graph, Value } from "../../engine/graph.ts";
import type { Backbone } from "../../model/backbone.ts";
import type { GraphParams } from "../../model/params.ts";
import { readoutScores } from "./mask_readout.ts";
import type { Verbalizer } from "./verbalizer.ts";

/** Shape of one scoring graph: rows, padded length, and whether dropout is on. */
export interface PatternShape {
  batch: number;
  seqLen: number;
  train: boolean;
}

/** Class scores [batch, C] of `backbone`'s encoder built into `g`; `mask_rows` [batch·m] is fed with `maskRows` (template.ts). */
export function patternScores(g: Graph, backbone: Backbone, params: GraphParams, verbalizer: Verbalizer, shape: PatternShape): Value {
  return readoutScores(g, backbone.encoder(g, params.get, shape), shape.batch, verbalizer);
}
