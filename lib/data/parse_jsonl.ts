/** JSON Lines files (FewCLUE, the demo set, user files): one JSON object per line. */
import { InputError } from "../util/errors.ts";
import { type ColumnSpec, type ParsedRows, type RawRecord, recordsToRows } from "./records.ts";
import type { TextRow } from "./types.ts";

/** The objects of a JSON Lines text, with their line numbers; blank lines are skipped. */
export function* jsonlRecords(text: string, file: string): Generator<RawRecord> {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InputError(`malformed JSON line (${(err as Error).message})`, { file, line: i + 1 });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InputError("a JSON line must be an object", { file, line: i + 1 });
    }
    yield { line: i + 1, values: value as Record<string, unknown> };
  }
}

/** A record rewritten before its columns are read (a FewCLUE format whose texts are not plain fields). */
export type PrepareRecord = (rec: RawRecord, file: string) => RawRecord;

/** Parse JSON Lines `text` read from `file` into rows per `spec`, each record through `prepare` first when given. */
export function parseJsonl(text: string, file: string, spec: ColumnSpec, prepare?: PrepareRecord): ParsedRows<TextRow> {
  const records = jsonlRecords(text, file);
  return recordsToRows(prepare ? records.map((rec) => prepare(rec, file)) : records, file, spec);
}
