// Worker thread of fitBayesParallel: fits one class's mixture on its own WASM Core and
// returns the fitted model as JSON. Node only.
import { nodeCore } from "../core/node.js";
import { serveTasks } from "../parallel/pool.js";
import { fitClassMixture } from "./bayes.js";
import type { ClassFitTask } from "./fit-parallel.js";

const core = nodeCore();

serveTasks<ClassFitTask, object>(({ data, rows, cols, label, options }) => {
  // Plain JSON crosses the thread boundary; GaussianMixture.fromJSON rebuilds it exactly.
  return fitClassMixture({ data, rows, cols }, label, { ...options, core }).toJSON();
});
