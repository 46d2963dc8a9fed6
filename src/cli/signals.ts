// Imported first by main.ts, so SIGINT/SIGTERM are handled from the start of the run (before the
// command modules load), not only once the command starts.
import { installInterruptHandlers } from "../util/interrupt.js";

/** What the interrupt line adds, by command. */
const RESUME_HINT: Record<string, string> = {
  vae: "completed epochs are kept; continue with --resume",
  gan: "completed epochs are kept; continue with --resume",
  report: "finished stages are kept; run it again to continue",
};

const command = process.argv.slice(2).find((a) => !a.startsWith("-")) ?? "";
installInterruptHandlers(() => RESUME_HINT[command]);
