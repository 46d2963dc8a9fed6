// Checks a finished Graph before it is serialised: names unique, every input produced or declared
// (in topological order), every tensor typed, every graph output produced, every op known. A Loop's
// body is checked too, with the tensors its enclosing graph defined before the Loop as outer scope.

import { Graph } from "./ir.js";
import { OPS } from "./ops.js";

/**
 * Lists every problem of `g` (empty when valid). `outer`: the tensors visible from enclosing graphs
 * (for a subgraph); a name defined here must not repeat one of them (single static assignment).
 */
export function problems(g: Graph, outer: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (!name) out.push(`${what} has an empty name`);
    else if (defined.has(name) || outer.has(name)) out.push(`duplicate tensor name '${name}' (${what})`);
    defined.add(name);
  };
  const visible = (name: string) => defined.has(name) || outer.has(name);
  for (const i of g.inputs) define(i, "graph input");
  for (const i of g.initializers.keys()) define(i, "initializer");
  const nodeNames = new Set<string>();
  for (const n of g.nodes) {
    const where = `${n.opType} node '${n.name}'`;
    if (nodeNames.has(n.name)) out.push(`duplicate node name '${n.name}'`);
    nodeNames.add(n.name);
    if (!OPS[n.opType]) out.push(`${where}: op '${n.opType}' is not a known opset-17 op`);
    for (const i of n.inputs) if (i && !visible(i)) out.push(`${where}: input '${i}' is not declared or produced before it`);
    for (const [k, v] of Object.entries(n.attrs)) {
      if (v instanceof Graph) out.push(...problems(v, new Set([...outer, ...defined])).map((p) => `${where}, attribute '${k}': ${p}`));
    }
    for (const o of n.outputs) define(o, `output of ${where}`);
  }
  for (const name of defined) {
    const t = g.types.get(name);
    if (!t || !t.dtype) out.push(`tensor '${name}' has no dtype`);
    else if (!Array.isArray(t.shape)) out.push(`tensor '${name}' has no shape`);
    else if (t.shape.some((d) => (typeof d === "number" ? !(Number.isInteger(d) && d >= 0) : d === "")))
      out.push(`tensor '${name}' has a bad dim in [${t.shape.join(",")}]`);
  }
  for (const [name, init] of g.initializers) {
    const n = init.type.shape.reduce<number>((p, d) => p * (d as number), 1);
    if (init.data.length !== n) out.push(`initializer '${name}': ${init.data.length} values for shape [${init.type.shape}]`);
  }
  if (g.outputs.length === 0) out.push("graph has no outputs");
  for (const o of g.outputs) if (!defined.has(o)) out.push(`graph output '${o}' is never produced`);
  return out;
}

/** Throws one Error listing every problem of `g`; returns `g` when it is valid. */
export function validate(g: Graph): Graph {
  const ps = problems(g);
  if (ps.length) throw new Error(`graph '${g.name}' is invalid:\n  ${ps.join("\n  ")}`);
  return g;
}
