/**
 * Serialise a {@link Graph} to a standard ONNX model (default domain only, opset 20), keeping just the nodes
 * the requested outputs need. Every graph input is declared, used or not, so a graph's feed signature does
 * not change with the outputs asked of it.
 */
import onnxProto from "onnx-proto";
import type { Attr, Graph, TensorData, Value } from "./graph.ts";
import { onnxElemType } from "./ops.ts";

const { onnx } = onnxProto;

/** The opset the engine emits. */
export const OPSET = 20;

/** Per graph input or output name, a symbolic name for each dimension that varies at run time (null: fixed). */
export type DimNames = Readonly<Record<string, readonly (string | null)[]>>;

function valueInfo(name: string, v: Value, dims: DimNames) {
  const names = dims[name];
  const dim = v.shape.map((d, i) => (names?.[i] ? { dimParam: names[i]! } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: onnxElemType(v.dtype), shape: { dim } } } };
}

function rawBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function attribute(name: string, a: Attr) {
  const { AttributeType } = onnx.AttributeProto;
  if ("i" in a) return { name, type: AttributeType.INT, i: a.i };
  if ("f" in a) return { name, type: AttributeType.FLOAT, f: a.f };
  if ("ints" in a) return { name, type: AttributeType.INTS, ints: a.ints };
  if ("floats" in a) return { name, type: AttributeType.FLOATS, floats: a.floats };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.s) };
}

/**
 * Encode `graph` as ONNX bytes with the given named outputs.
 *
 * @param outputs output name → value; names must not clash with graph value names.
 * @param dims symbolic dimensions of inputs and outputs (a graph built with run-time shapes, see `ops.shapeOf`).
 */
export function exportOnnx(graph: Graph, outputs: Record<string, Value>, dims: DimNames = {}): Uint8Array {
  const needed = new Set<number>();
  const stack = Object.values(outputs);
  while (stack.length) {
    const v = stack.pop()!;
    if (needed.has(v.id)) continue;
    needed.add(v.id);
    if (v.source.kind === "node") stack.push(...v.source.node.inputs);
  }
  const nodes = graph.nodes
    .filter((n) => n.outputs.some((o) => needed.has(o.id)))
    .map((n) => ({
      opType: n.op,
      name: `n${n.id}`,
      input: n.inputs.map((v) => v.name),
      output: n.outputs.map((v) => v.name),
      attribute: Object.entries(n.attrs).map(([k, a]) => attribute(k, a)),
    }));
  // Outputs get their own names through Identity so a value can be both an input and an output.
  for (const [name, v] of Object.entries(outputs)) {
    nodes.push({ opType: "Identity", name: `out_${name}`, input: [v.name], output: [name], attribute: [] });
  }
  const initializer = graph.values
    .filter((v) => v.source.kind === "constant" && needed.has(v.id))
    .map((v) => ({
      name: v.name,
      dims: [...v.shape],
      dataType: onnxElemType(v.dtype),
      rawData: rawBytes((v.source as { data: TensorData }).data),
    }));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "promptlab",
    opsetImport: [{ domain: "", version: OPSET }],
    graph: {
      name: "promptlab",
      node: nodes,
      initializer,
      input: graph.values.filter((v) => v.source.kind === "input").map((v) => valueInfo(v.name, v, dims)),
      output: Object.entries(outputs).map(([name, v]) => valueInfo(name, v, dims)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
