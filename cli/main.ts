/** The `stepwise` command line: each part registers its own subcommands here. */
import { Command } from "commander";
import { registerCourseCommands } from "./course";
import { registerKernelCommands } from "./kernel";
import { registerRunCommand, takeParameterPairs } from "./run";

export function createProgram(): Command {
  const program = new Command("stepwise")
    .description("stepwise: deep-learning optimization lab — TypeScript Jupyter kernel and headless notebook runner")
    .version(require("../../package.json").version)
    .showHelpAfterError();
  registerKernelCommands(program);
  registerRunCommand(program);
  registerCourseCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(takeParameterPairs(argv));
  } catch (error) {
    program.error((error as Error).message);
  }
}
