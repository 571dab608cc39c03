/** Running the kit's entry points as a user would, in a child process, for tests of exit codes and output. */
import { root } from "./_shared.ts";

/** A finished child process: its exit code and decoded output. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno <args>` without stdin, with `NO_COLOR=1` and `env` added to the environment. */
export async function runDeno(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: opts.cwd ?? root, env: { NO_COLOR: "1", ...opts.env }, stdin: "null" })
    .output();
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: dec(out.stdout), stderr: dec(out.stderr) };
}

/** The `--allow-*` flags of a task in deno.json (`$HOME` expanded), so a test fails when they do not suffice. */
export async function taskFlags(task: string): Promise<string[]> {
  const line = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)).tasks[task] as string;
  return line.split(/\s+/).filter((a) => a.startsWith("--allow-")).map((a) => a.replace("$HOME", Deno.env.get("HOME") ?? ""));
}

/** `deno run … cli run` of zero-shot PET on the embedded demo reviews (sampled protocol, K = 4), with `more` flags. */
export function demoZeroShotArgs(seeds: string, ...more: string[]): string[] {
  const flags = ["--method", "pet", "--dataset", "demo", "--protocol", "sampled", "--k", "4", "--seeds", seeds, "--mode", "zero-shot"];
  return ["run", "-A", `${root}/lib/cli/main.ts`, "run", ...flags, ...more];
}
