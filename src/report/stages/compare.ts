// Stage 2c: the VAE against the GAN, measured the same way for both (src/compare/compare.ts),
// on the models stages 2a and 2b trained into --out.
import { join } from "node:path";
import { COMPARE_DEFAULTS, comparisonTable, runCompare, type CompareConfig, type Comparison } from "../../compare/compare.js";
import { pct, type Block } from "../blocks.js";
import { EMLAB, images, limitFlags, shellQuote, type Mode, type Stage } from "../stage.js";
import { ganStage, type GanStageConfig } from "./gan.js";
import { vaeStage, type VaeStageConfig } from "./vae.js";

/** 2c's cache key: sample count, feature space, labelling classifier, data limits, and the models' configs. */
export interface CompareStageConfig {
  samples: number;
  seed: number;
  pca: number;
  classifier: CompareConfig["classifier"];
  limit?: number;
  testLimit?: number;
  /** The configurations of the two trained models: a retrained model makes the comparison stale. */
  inputs: { vae: VaeStageConfig; gan: GanStageConfig };
}

/** 2c's summary: every measured number (without paths), the Markdown table, the file names. */
export interface CompareStageResult {
  comparison: Omit<Comparison, "config">;
  table: string;
  files: { markdown: string; json: string };
}

/** The sizes per mode; undefined limit = the whole MNIST split. */
const SETTINGS: Record<Mode, { samples: number; classifierK: number; limit?: number; testLimit?: number }> = {
  full: { samples: COMPARE_DEFAULTS.samples, classifierK: COMPARE_DEFAULTS.classifier.nComponents },
  quick: { samples: 1000, classifierK: 5, limit: 3000, testLimit: 2000 },
  tiny: { samples: 200, classifierK: 2, limit: 1000, testLimit: 300 },
};

export const compareStage: Stage<CompareStageConfig, CompareStageResult> = {
  id: "2c",
  dirName: "2c-compare",
  title: "VAE versus GAN",
  question:
    "Compare the two generative models on MNIST — sample quality, diversity, memorisation and training cost — with measured numbers, and say which works better and why.",
  needs: [vaeStage.id, ganStage.id],

  config: (mode, seed) => {
    const m = SETTINGS[mode];
    return {
      samples: m.samples,
      seed,
      pca: COMPARE_DEFAULTS.pca,
      // the CLI's labelling classifier (its own fixed seed), so `emlab compare` reproduces this stage
      classifier: { ...COMPARE_DEFAULTS.classifier, nComponents: m.classifierK },
      limit: m.limit,
      testLimit: m.testLimit,
      inputs: { vae: vaeStage.config(mode, seed), gan: ganStage.config(mode, seed) },
    };
  },

  reduction: (mode) => {
    if (mode === "full") return undefined;
    const m = SETTINGS[mode];
    const f = SETTINGS.full;
    const classifier = m.classifierK === f.classifierK ? "" : `labelling classifier K = ${m.classifierK} instead of ${f.classifierK}; `;
    return `2c: ${m.samples} samples per model instead of ${f.samples}; ${classifier}${images(m.limit, 60000)} training and ${images(m.testLimit, 10000)} test images.`;
  },

  async run(c, ctx) {
    const config: CompareConfig = {
      vae: join(ctx.out, vaeStage.dirName),
      gan: join(ctx.out, ganStage.dirName),
      samples: c.samples,
      seed: c.seed,
      pca: c.pca,
      classifier: c.classifier,
      limit: c.limit,
      testLimit: c.testLimit,
      threads: ctx.threads,
    };
    const { files: _f, ...cmp } = await runCompare(config, { out: ctx.dir, onProgress: (e) => ctx.log(e.step) });
    const { config: _c, ...comparison } = cmp;
    return { comparison, table: comparisonTable(cmp), files: { markdown: "comparison.md", json: "comparison.json" } };
  },

  commands: (c, dir, threads) => {
    const up = dir.replace(/[^/\\]*$/, "");
    return [
      `${EMLAB} compare --vae ${shellQuote(up + vaeStage.dirName)} --gan ${shellQuote(up + ganStage.dirName)} --samples ${c.samples} --seed ${c.seed} ` +
        `--classifier-k ${c.classifier.nComponents} --classifier-covariance ${c.classifier.covarianceType}${limitFlags(c.limit, c.testLimit)} --threads ${threads} --out ${shellQuote(dir)}`,
    ];
  },

  present(rec) {
    const c = rec.result.comparison;
    const cfg = rec.config;
    const blocks: Block[] = [
      {
        kind: "p",
        text:
          `${cfg.samples} samples from each trained model (\\(z \\sim \\mathrm{N}(0, I)\\), seed ${cfg.seed}), measured against MNIST in one feature space, the first ${c.classifier.pca} principal components ` +
          `of the training images; digits labelled by a GMM Bayes classifier (${c.classifier.covarianceType}, K = ${c.classifier.nComponents}, test error ${pct(c.classifier.testError)}).`,
      },
      { kind: "markdown", md: rec.result.table },
      { kind: "p", text: c.paragraph },
      { kind: "p", role: "note", text: "Method: docs/gan.md (comparison). Training cost: per-epoch seconds from each run's history.json (VAE) and results.json (GAN)." },
    ];
    return blocks;
  },
};
