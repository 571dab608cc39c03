/**
 * Turning parsed records (a JSON line, a CSV row) into typed rows (one text, or a sentence pair), with one set
 * of checks for every format: missing column, empty text, unknown label, each reported with file, line and field.
 */
import { InputError } from "../util/errors.ts";
import type { Row, TextRow } from "./types.ts";

/** A parsed record and the 1-based line it came from. */
export interface RawRecord {
  line: number;
  values: Record<string, unknown>;
}

/** Which fields hold what, and how labels map to canonical ones. */
export interface ColumnSpec {
  text: string;
  /** Second text of a sentence pair; rows then carry `textB`. */
  textB?: string;
  /** A list of candidate texts (checked by the format's `prepare`); rows then carry `choices`. */
  choices?: string;
  /** Label field; absent for unlabelled files. */
  label?: string;
  id?: string;
  /** Raw label value to canonical label; when absent, the raw value is the label. */
  labelMap?: Record<string, string>;
  /** Allowed canonical labels; when absent, any non-empty label is accepted. */
  labels?: readonly string[];
  /** Empty texts: an error (default, for user files) or left out and counted (known upstream blanks). */
  emptyText?: "error" | "drop";
}

/** Rows out of a file, and how many were left out for empty text. */
export interface ParsedRows<R extends TextRow> {
  rows: R[];
  dropped: Record<string, number>;
}

/** Upstream texts carry stray byte-order marks and padding; neither is part of the text. */
export function cleanText(text: string): string {
  return text.replace(/\uFEFF/g, "").trim();
}

function field(rec: RawRecord, name: string, file: string): unknown {
  if (!(name in rec.values)) throw new InputError("missing field", { file, line: rec.line, field: name });
  return rec.values[name];
}

function textField(rec: RawRecord, name: string, file: string): string {
  const raw = field(rec, name, file);
  if (typeof raw !== "string") {
    throw new InputError(`text must be a string, got ${JSON.stringify(raw)}`, { file, line: rec.line, field: name });
  }
  return raw;
}

/**
 * A label or id as text: JSON strings and numbers only (an object or a list would become "[object Object]" or
 * "1,2").
 */
function scalarField(rec: RawRecord, name: string, file: string, what: "label" | "id"): string {
  const raw = field(rec, name, file);
  if (typeof raw === "string" || (typeof raw === "number" && Number.isFinite(raw))) return String(raw).trim();
  throw new InputError(`${what === "label" ? "a label" : "an id"} must be a string or a number, got ${JSON.stringify(raw)}`, {
    file,
    line: rec.line,
    field: name,
  });
}

/** Convert records to rows (labelled when `spec.label` is set), checking each. */
export function recordsToRows(records: Iterable<RawRecord>, file: string, spec: ColumnSpec): ParsedRows<Row | TextRow> {
  const allowed = spec.labels ? new Set(spec.labels) : null;
  const rows: (Row | TextRow)[] = [];
  const columns = spec.textB === undefined ? [spec.text] : [spec.text, spec.textB];
  let empty = 0;
  for (const rec of records) {
    const texts = columns.map((name) => cleanText(textField(rec, name, file)));
    const blank = columns.find((_, i) => !texts[i]);
    if (blank !== undefined) {
      if (spec.emptyText === "drop") {
        empty++;
        continue;
      }
      throw new InputError("empty text", { file, line: rec.line, field: blank });
    }
    const row: Row | TextRow = { text: texts[0] };
    if (spec.textB !== undefined) row.textB = texts[1];
    if (spec.choices !== undefined) row.choices = field(rec, spec.choices, file) as string[];
    if (spec.id !== undefined && rec.values[spec.id] !== undefined) row.id = scalarField(rec, spec.id, file, "id");
    if (spec.label !== undefined) {
      const raw = scalarField(rec, spec.label, file, "label");
      const label = spec.labelMap ? (Object.hasOwn(spec.labelMap, raw) ? spec.labelMap[raw] : "") : raw;
      if (!label || (allowed && !allowed.has(label))) {
        const known = spec.labelMap ? Object.keys(spec.labelMap) : spec.labels ?? [];
        throw new InputError(`unknown label "${raw}" (expected one of ${known.join(", ")})`, {
          file,
          line: rec.line,
          field: spec.label,
        });
      }
      (row as Row).label = label;
    }
    rows.push(row);
  }
  return { rows, dropped: empty ? { empty } : {} };
}
