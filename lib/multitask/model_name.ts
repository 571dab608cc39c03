/**
 * The name of a leave-one-task-out multitask model: its base model's name and the held-out task
 * (`<base>-zeroprompt-<task>`), so that results rows, which name their model folder, tell the zero-shot "after"
 * rows from the "before" ones and which base model and size they come from.
 */

const SEPARATOR = "-zeroprompt-";

/** The multitask model's folder name for `base` (a model folder's name) trained with `heldoutTask` held out. */
export function zeropromptModelName(base: string, heldoutTask: string): string {
  return `${base}${SEPARATOR}${heldoutTask}`;
}

/** The base model and held-out task of a {@link zeropromptModelName}; undefined for any other model name. */
export function parseZeropromptModelName(name: string): { base: string; heldoutTask: string } | undefined {
  const at = name.lastIndexOf(SEPARATOR);
  if (at <= 0) return undefined;
  return { base: name.slice(0, at), heldoutTask: name.slice(at + SEPARATOR.length) };
}
