/** CSV files with a header row (ChineseNlpCorpus, user files). */
import { parse } from "csv-parse/sync";
import { InputError } from "../util/errors.ts";
import { type ColumnSpec, type ParsedRows, type RawRecord, recordsToRows } from "./records.ts";
import type { TextRow } from "./types.ts";

/** Parse CSV `text` read from `file` into rows per `spec`; the header must name the spec's columns. */
export function parseCsv(text: string, file: string, spec: ColumnSpec): ParsedRows<TextRow> {
  const required = [spec.text, spec.textB, spec.label].filter((c): c is string => c !== undefined);
  let parsed: { record: Record<string, string>; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      columns: (header: string[]) => {
        const names = header.map((h) => h.trim());
        // Named twice, a column would silently give its last value.
        const twice = required.find((c) => names.indexOf(c) !== names.lastIndexOf(c));
        if (twice) {
          throw new InputError(
            `column named twice in the header (columns ${names.indexOf(twice) + 1} and ${names.lastIndexOf(twice) + 1}): rename one`,
            {
              file,
              line: 1,
              field: twice,
            },
          );
        }
        const absent = required.find((c) => !names.includes(c));
        if (absent) throw new InputError(`missing column (header: ${names.join(",")})`, { file, line: 1, field: absent });
        return names;
      },
    });
  } catch (err) {
    if (err instanceof InputError) throw err;
    const line = (err as { lines?: number }).lines;
    throw new InputError(`malformed CSV (${(err as Error).message})`, { file, line });
  }
  const records: RawRecord[] = parsed.map(({ record, info }) => ({ line: info.lines, values: record }));
  return recordsToRows(records, file, spec);
}
