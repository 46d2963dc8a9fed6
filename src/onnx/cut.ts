// Graph surgery: turn computed tensors into graph inputs. A training step whose forward values
// were already computed by another run (the GAN's G step reuses the activations of G(z) from the
// D step) builds its graph as usual, differentiates it, and then cuts the forward part away: the
// backward nodes keep reading the same tensor names, which are now fed instead of computed.

import { Graph } from "./ir.js";

/**
 * Makes each tensor of `names` a graph input (same name and type), removes the nodes that produced
 * them, then every node none of whose outputs is used any more (by a node or as a graph output).
 * Inputs that end up unused stay declared (callers keep feeding them). Throws if a name is not
 * produced by a node, or if a removed node has another output that something still reads.
 * Returns the names of the removed nodes.
 */
export function feedInstead(g: Graph, names: string[]): string[] {
  const producers = g.producers();
  const cut = new Set<string>();
  for (const t of names) {
    const p = producers.get(t);
    if (!p) throw new Error(`feedInstead: '${t}' is not computed by a node (an input or initializer already?)`);
    cut.add(p.name);
  }
  const removed: string[] = [];
  const drop = (keep: (n: Graph["nodes"][number]) => boolean) => {
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      if (keep(g.nodes[i])) continue;
      removed.push(g.nodes[i].name);
      g.nodeNames.delete(g.nodes[i].name);
      g.nodes.splice(i, 1);
    }
  };
  drop((n) => !cut.has(n.name));
  g.inputs.push(...names);

  // dead-code elimination to a fixed point (one sweep in reverse order removes whole chains)
  for (;;) {
    const used = new Set<string>(g.outputs);
    for (const n of g.nodes) for (const i of n.inputs) if (i) used.add(i);
    const before = g.nodes.length;
    drop((n) => n.outputs.some((o) => used.has(o)));
    if (g.nodes.length === before) break;
  }

  // the cut nodes' other outputs must not be needed by what is left
  const live = new Set<string>([...g.inputs, ...g.initializers.keys()]);
  for (const n of g.nodes) for (const o of n.outputs) live.add(o);
  for (const n of g.nodes) {
    for (const i of n.inputs) if (i && !live.has(i)) throw new Error(`feedInstead: node '${n.name}' reads '${i}', which a removed node computed`);
  }
  for (const o of g.outputs) if (!live.has(o)) throw new Error(`feedInstead: graph output '${o}' was computed by a removed node`);
  for (const name of [...g.types.keys()]) if (!live.has(name)) g.types.delete(name);
  return removed;
}
