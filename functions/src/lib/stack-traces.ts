// Stack traces that name src/ files and lines. The functions run from a bundle (tools/bundle.mjs);
// a frame in one of its files is mapped through that file's source map, read when a stack first
// needs it. Node's own source-map support (--enable-source-maps, module.setSourceMapsSupport)
// reads each chunk's map as the chunk loads: 14 ms more CPU in the API's cold start, measured.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | null>();

function sourceMapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    map = existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : null;
    maps.set(file, map);
  }
  return map;
}

/** V8's `    at …` line for a frame, with the source map's file, line and column when the frame's file is in `dir`. */
function frameLine(frame: NodeJS.CallSite, dir: string): string {
  const text = `    at ${frame.toString()}`;
  const url = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (!url?.startsWith(dir) || !line || !column) return text;
  const file = fileURLToPath(url);
  const entry = sourceMapOf(file)?.findEntry(line - 1, column - 1);
  if (!entry || !('originalSource' in entry)) return text;
  return text.replace(`${url}:${line}:${column}`, `${path.resolve(path.dirname(file), entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
}

/** From now on, stack traces map the frames of files in `dir` (a `file:` URL ending in `/`) to their sources. */
export function mapStackTraces(dir: string): void {
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => [Error.prototype.toString.call(error), ...frames.map((frame) => frameLine(frame, dir))].join('\n');
}
