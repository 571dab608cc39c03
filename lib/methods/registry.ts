/** Every method of the comparison by name; experiments, the CLI and notebooks look them up here. */
import { InputError } from "../util/errors.ts";
import { autoprompt } from "./autoprompt/autoprompt.ts";
import { finetune } from "./classifier/finetune.ts";
import { pet } from "./pet/pet.ts";
import { ptuningV2 } from "./classifier/ptuning_v2.ts";
import type { MethodFactory } from "./types.ts";

// deno-lint-ignore no-explicit-any
const factories: MethodFactory<any>[] = [finetune, pet, ptuningV2, autoprompt];

/** Registered methods by name. */
// deno-lint-ignore no-explicit-any
export const methods: ReadonlyMap<string, MethodFactory<any>> = new Map(factories.map((f) => [f.name, f]));

/** The method called `name`; an input error listing the known ones otherwise. */
// deno-lint-ignore no-explicit-any
export function getMethod(name: string): MethodFactory<any> {
  const f = methods.get(name);
  if (!f) throw new InputError(`unknown method "${name}"; known: ${[...methods.keys()].join(", ")}`, { field: "method" });
  return f;
}
