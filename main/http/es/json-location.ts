/**
 * Line and column of a place in a JSON text, as Jackson reports a token location (1-based, the
 * start of the token). JSON.parse keeps no positions, so an error found while walking the parsed
 * value is located afterwards by reading the same text with the `yaml` package (JSON is YAML 1.2
 * flow syntax) and following the path of keys and indexes to the node.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

export interface JsonLocation {
  line: number;
  col: number;
}

export type JsonPath = (string | number)[];

/** Where `path` points: the key itself (`key: true`, for "unknown field [x]") or its value. */
export function locateJson(text: string, path: JsonPath, key = false): JsonLocation {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, strict: false });
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [i, step] of path.entries()) {
    const last = i === path.length - 1;
    if (typeof step === 'number' && isSeq(node)) {
      node = node.items[step];
    } else if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      if (last && key) {
        offset = rangeStart(pair.key) ?? offset;
        break;
      }
      node = pair.value;
    } else {
      break;
    }
    offset = rangeStart(node) ?? offset;
  }
  const { line, col } = lineCounter.linePos(offset);
  return { line, col };
}

/** Jackson's location for "end of the object": the last non-blank character. */
export function locateEnd(text: string): JsonLocation {
  const offset = Math.max(0, text.trimEnd().length - 1);
  return positionOf(text, offset);
}

/** 1-based line/column of a character offset. */
export function positionOf(text: string, offset: number): JsonLocation {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
