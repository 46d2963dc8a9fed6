// SIGINT/SIGTERM: the CLI prints one line and exits at once (130 / 143). Every output file is
// written synchronously by writeFileAtomic (temp file + rename within one tick), and a JS signal
// handler only runs between ticks, so an exit from it never leaves a half-written file. Training
// loops may still check `interrupted()` to stop between steps, and `onInterrupt` runs cleanup.

/** Exit codes by signal: 128 + the signal number, as shells report them. */
export const SIGNAL_EXIT: Record<"SIGINT" | "SIGTERM", number> = { SIGINT: 130, SIGTERM: 143 };

let received: "SIGINT" | "SIGTERM" | null = null;
const hooks = new Set<() => void>();

/** The signal received so far, or null. */
export function interrupted(): "SIGINT" | "SIGTERM" | null {
  return received;
}

/** Run `fn` when a signal arrives (before the exit); returns a function that unregisters it. */
export function onInterrupt(fn: () => void): () => void {
  hooks.add(fn);
  return () => hooks.delete(fn);
}

/**
 * Install the handlers: on the first signal run the hooks, print `emlab: interrupted by SIG…` plus
 * `hint` on stderr and exit with 130/143 ('exit' listeners, e.g. lock release, still run).
 */
export function installInterruptHandlers(hint: () => string | undefined): void {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (received) return; // a second signal while exiting: already on the way out
      received = sig;
      for (const fn of hooks) {
        try {
          fn();
        } catch {
          // cleanup is best effort: the exit must happen
        }
      }
      const h = hint();
      process.stderr.write(`${process.stderr.isTTY ? "\n" : ""}emlab: interrupted by ${sig}${h ? `; ${h}` : ""}\n`);
      process.exit(SIGNAL_EXIT[sig]);
    });
  }
}
