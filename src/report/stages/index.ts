// The stages of `emlab report`, in run order: the list the runner, the report and the CLI's
// --only choices iterate. A new stage is one module beside this file and one entry here.
import { stageEntry, type StageEntry } from "../stage.js";
import { compareStage } from "./compare.js";
import { ganStage } from "./gan.js";
import { gmmStage } from "./gmm.js";
import { mnistStage } from "./mnist.js";
import { vaeStage } from "./vae.js";

/** The stages in run order. */
export const STAGES: readonly StageEntry[] = [stageEntry(gmmStage), stageEntry(mnistStage), stageEntry(vaeStage), stageEntry(ganStage), stageEntry(compareStage)];

/** Every stage id in run order: the choices of --only. */
export const STAGE_IDS: readonly string[] = STAGES.map((s) => s.id);
