// The list of emlab's commands, in the order of the exercises; each lives in its own file.
import type { Command } from "./args.js";
import { gmmCommand } from "./gmm.js";
import { mnistCommand } from "./mnist.js";
import { pcaCommand } from "./pca.js";
import { vaeCommand } from "./vae.js";
import { ganCommand } from "./gan.js";
import { compareCommand } from "./compare.js";
import { reportCommand } from "./report.js";
import { scoreCommand } from "./score.js";
import { predictCommand } from "./predict.js";
import { sampleCommand } from "./sample.js";

export const commands: Command<any>[] = [
  gmmCommand,
  mnistCommand,
  pcaCommand,
  vaeCommand,
  ganCommand,
  compareCommand,
  reportCommand,
  scoreCommand,
  predictCommand,
  sampleCommand,
];
