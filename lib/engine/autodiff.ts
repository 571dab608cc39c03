/**
 * Reverse-mode differentiation over a {@link Graph}: appends the gradient nodes of `loss` with respect to
 * the requested values and returns them. Only nodes on a path from a requested value to the loss get
 * gradient nodes, so frozen weights (graph constants) cost nothing.
 */
import type { Graph, Node, Value } from "./graph.ts";
import { gradRules } from "./grad_rules.ts";
import * as op from "./ops.ts";

/**
 * Sum a gradient computed in a broadcast shape back to the shape of the value it belongs to.
 */
export function sumToShape(g: Value, shape: readonly number[]): Value {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const leading = Array.from({ length: lead }, (_, i) => i);
  const squeezed = g.shape.slice(lead).map((d, i) => (shape[i] === 1 && d !== 1 ? i + lead : -1)).filter((i) => i >= 0);
  const summed = op.reduceSum(g, [...leading, ...squeezed], true);
  return op.reshape(summed, shape);
}

/** Nodes lying on some path from one of `from` to `to`, in graph (topological) order. */
function nodesOnPath(graph: Graph, from: readonly Value[], to: Value): Node[] {
  const reached = new Set(from.map((v) => v.id));
  const forward: Node[] = [];
  for (const node of graph.nodes) {
    if (node.inputs.some((v) => reached.has(v.id) && v.isFloat)) {
      forward.push(node);
      for (const o of node.outputs) if (o.isFloat) reached.add(o.id);
    }
  }
  const needed = new Set([to.id]);
  const path: Node[] = [];
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (node.outputs.some((o) => needed.has(o.id))) {
      path.push(node);
      for (const v of node.inputs) if (reached.has(v.id)) needed.add(v.id);
    }
  }
  return path.reverse();
}

/**
 * Gradients of `loss` with respect to each of `wrt`, as new values of the same graph.
 *
 * @param loss the value to differentiate; a scalar unless `seed` is given.
 * @param wrt graph inputs or intermediate values (e.g. word-embedding outputs); float only.
 * @param seed the gradient of `loss` itself (same shape); defaults to ones for a scalar loss.
 * @returns one gradient per `wrt` entry, zeros where `loss` does not depend on it.
 *
 * @example
 * ```ts
 * const [gw] = gradients(loss, [w]);
 * ```
 */
export function gradients(loss: Value, wrt: readonly Value[], seed?: Value): Value[] {
  const graph = loss.graph;
  for (const v of wrt) if (!v.isFloat) throw new Error(`gradients: ${v} is not a float value`);
  if (!seed && loss.size !== 1) throw new Error(`gradients: loss ${loss} is not a scalar; pass a seed gradient`);
  const grads = new Map<number, Value>([[loss.id, seed ?? op.fill(loss, loss.shape, 1)]]);
  const accumulate = (v: Value, g: Value) => {
    const shaped = sumToShape(g, v.shape);
    const prev = grads.get(v.id);
    grads.set(v.id, prev ? op.add(prev, shaped) : shaped);
  };
  const path = nodesOnPath(graph, wrt, loss);
  const onPath = new Set<number>(wrt.map((v) => v.id));
  for (const n of path) for (const o of n.outputs) onPath.add(o.id);

  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i];
    const go = node.outputs.map((o) => grads.get(o.id));
    if (go.every((g) => g === undefined)) continue;
    const rule = gradRules[node.op];
    if (!rule) throw new Error(`gradients: no rule for op ${node.op}`);
    const gi = rule(node, go);
    node.inputs.forEach((input, k) => {
      if (!onPath.has(input.id)) return;
      const g = gi[k];
      if (!g) throw new Error(`gradients: ${node.op} gave no gradient for its input ${k} (${input})`);
      accumulate(input, g);
    });
  }
  return wrt.map((v) => grads.get(v.id) ?? op.fill(v, v.shape, 0));
}
