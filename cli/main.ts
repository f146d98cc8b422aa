/** The `stepwise` command line: each part registers its own subcommands here. */
import { Command } from "commander";
import { registerKernelCommands } from "./kernel";

export function createProgram(): Command {
  const program = new Command("stepwise")
    .description("stepwise: deep-learning optimization lab — TypeScript Jupyter kernel and headless notebook runner")
    .version(require("../../package.json").version)
    .showHelpAfterError();
  registerKernelCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv);
}
