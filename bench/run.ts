// `npm run bench`: runs every build/bench/*.js workload one after the other (never in
// parallel: the machine has 2 cores), prints ONE table (workload, ours, reference measured in
// the same run, ratio = reference / ours, so > 1 means emlab is faster or larger) and writes
// everything, including each bench's full stdout, to bench/results/<date>.json. A bench whose JSON carries
// a `table` (em-speed: emlab, numpy float32 GEMM and scikit-learn side by side) has it printed after.
//   node build/bench/run.js [--only a,b] [--skip a,b] [--timeout-min 60] [--list]
// A bench whose source mentions "--json" is run with --json and its `rows` are taken as is;
// the others print text, so a small parser per bench below picks its figures out of stdout
// (a bench without a parser gets one row pointing at its output in the JSON file).
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeJsonAtomic } from "../src/util/atomic.js";

const HERE = fileURLToPath(new URL(".", import.meta.url)); // build/bench/
const RESULTS = fileURLToPath(new URL("../../bench/results/", import.meta.url));

/** One line of the table; ours/reference are numbers in `unit` (null: not measured). */
export interface Row {
  workload: string;
  ours: number | null;
  reference: number | null;
  /** reference / ours for times (> 1: emlab faster); null when either side is missing. */
  ratio: number | null;
  unit?: string;
  note?: string;
}

const num = (s: string | undefined) => (s === undefined || s === "—" || s === "skipped" ? null : Number(s));
const ratio = (ours: number | null, ref: number | null) => (ours && ref ? +(ref / ours).toFixed(2) : null);

/** Figures out of the text of benches without --json, keyed by bench name. */
const PARSERS: Record<string, (out: string) => Row[]> = {
  "gmm-mnist": (out) => {
    // "emlab (...): wall median 123.4 ms ..." — the first number after "wall" of each side.
    const ours = /emlab[^\n]*?wall[^\d]*([\d.]+)/.exec(out)?.[1];
    const ref = /sklearn[^\n]*?wall[^\d]*([\d.]+)/.exec(out)?.[1];
    const o = num(ours);
    const r = num(ref);
    return [{ workload: "EM MNIST K=10 diag, 1 thread vs sklearn 1 BLAS thread (ms/iteration)", ours: o, reference: r, ratio: ratio(o, r), unit: "ms" }];
  },
  pca: (out) =>
    [...out.matchAll(/^(covariance, u8 exact|eigh 784×784|PCA total \(u8 \+ eigh\))\s+([\d.]+|—)\s+([\d.]+|—)\s+([\d.]+|—|skipped)/gm)].map((m) => {
      const o = num(m[2]);
      const r = num(m[4]);
      return { workload: `PCA: ${m[1]} (ms) vs numpy`, ours: o, reference: r, ratio: ratio(o, r), unit: "ms" };
    }),
};

interface BenchResult {
  name: string;
  args: string[];
  status: number | null;
  seconds: number;
  rows: Row[];
  /** A bench's own table (its JSON's `table`, e.g. em-speed's three-way comparison), printed after the main one. */
  table?: string;
  stdout: string;
  stderrTail: string;
}

function runBench(file: string, timeoutMin: number): BenchResult {
  const name = basename(file, ".js");
  const source = readFileSync(file, "utf8");
  const wantsJson = source.includes("--json");
  const args = wantsJson ? ["--json"] : [];
  process.stderr.write(`[bench] ${name} ${args.join(" ")} …\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [file, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    timeout: timeoutMin * 60_000,
    env: { ...process.env, EMLAB_PROGRESS: "0" },
  });
  const seconds = (performance.now() - t0) / 1000;
  const stdout = r.stdout ?? "";
  let rows: Row[] = [];
  let ownTable: string | undefined;
  if (r.status === 0) {
    try {
      if (wantsJson) {
        const doc = JSON.parse(stdout.trim().split("\n").pop()!);
        rows = (doc.rows ?? []) as Row[];
        ownTable = typeof doc.table === "string" ? doc.table : undefined;
      }
      else if (PARSERS[name]) rows = PARSERS[name](stdout);
    } catch (e) {
      rows = [{ workload: name, ours: null, reference: null, ratio: null, note: `unparsed output (${(e as Error).message})` }];
    }
    if (rows.length === 0) rows = [{ workload: name, ours: null, reference: null, ratio: null, note: "figures in the JSON's stdout" }];
  } else {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ""}`;
    rows = [{ workload: name, ours: null, reference: null, ratio: null, note: `failed: ${why}` }];
  }
  const stderrTail = (r.stderr ?? "").trim().split("\n").slice(-20).join("\n");
  return { name, args, status: r.status, seconds, rows, table: ownTable, stdout, stderrTail };
}

function table(rows: Row[]): string {
  const cells = rows.map((r) => [
    r.workload,
    r.ours === null ? "—" : `${r.ours}${r.unit ? " " + r.unit : ""}`,
    r.reference === null ? "—" : `${r.reference}${r.unit ? " " + r.unit : ""}`,
    r.ratio === null ? (r.note ?? "—") : `${r.ratio}×`,
  ]);
  const head = ["workload", "ours", "reference", "ratio (ref/ours)"];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => "| " + c.map((s, i) => s.padEnd(w[i])).join(" | ") + " |";
  return [line(head), "|" + w.map((n) => "-".repeat(n + 2)).join("|") + "|", ...cells.map(line)].join("\n");
}

function lscpuModel(): string {
  const r = spawnSync("lscpu", [], { encoding: "utf8" });
  return /Model name:\s*(.+)/.exec(r.stdout ?? "")?.[1].trim() ?? cpus()[0]?.model ?? "unknown";
}

const USAGE = `usage: npm run bench -- [--only a,b] [--skip a,b] [--timeout-min 60] [--list]
  runs every bench of build/bench/ one after the other, prints one table (ratio = reference / ours)
  and writes bench/results/<date>.json; --list names the benches, --only/--skip choose by name`;

/** The runner's flags (node:util parseArgs, strict: an unknown or malformed flag is a one-line error, never a silent full run). */
function parseFlags(): { only?: string[]; skip: string[]; timeoutMin: number; list: boolean } | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        only: { type: "string" }, skip: { type: "string" }, "timeout-min": { type: "string" },
        list: { type: "boolean" }, help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message.split(". ")[0]} (npm run bench -- --help)\n`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const timeoutMin = Number(values["timeout-min"] ?? 60);
  if (!(timeoutMin > 0)) {
    process.stderr.write(`bench: --timeout-min: '${values["timeout-min"]}' is not a number of minutes > 0\n`);
    process.exit(2);
  }
  return { only: values.only?.split(","), skip: values.skip?.split(",") ?? [], timeoutMin, list: values.list ?? false };
}

function main(): void {
  const flags = parseFlags();
  if (!flags) return;
  const { only, skip, timeoutMin } = flags;
  const all = readdirSync(HERE).filter((f) => f.endsWith(".js") && f !== "run.js").map((f) => basename(f, ".js"));
  const unknown = [...(only ?? []), ...skip].filter((b) => !all.includes(b));
  if (unknown.length) {
    process.stderr.write(`bench: no bench named ${unknown.join(", ")} (there are: ${all.join(", ")})\n`);
    process.exit(2);
  }
  const files = all.filter((b) => (!only || only.includes(b)) && !skip.includes(b)).map((b) => join(HERE, `${b}.js`));
  if (flags.list) {
    for (const f of files) console.log(basename(f, ".js"));
    return;
  }
  const date = new Date().toISOString();
  const machine = { cpu: lscpuModel(), cores: availableParallelism(), node: process.version, loadavgBefore: loadavg() };
  const results = files.map((f) => runBench(f, timeoutMin));
  const rows = results.flatMap((r) => r.rows);
  console.log(`emlab benchmarks, ${date}: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadavgBefore.map((v) => v.toFixed(2)).join(" ")}`);
  console.log(table(rows));
  for (const r of results) if (r.table) console.log(`\n${r.name}:\n${r.table}`);
  const out = join(RESULTS, `${date.slice(0, 19).replace(/:/g, "-")}.json`);
  writeJsonAtomic(out, { date, machine: { ...machine, loadavgAfter: loadavg() }, rows, benches: results });
  console.log(`written ${out}`);
}

main();
