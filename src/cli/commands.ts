// The list of emlab's commands; each lives in its own file.
import type { CommandModule } from "yargs";

export const commands: CommandModule<any, any>[] = [];
