/**
 * A small reader for tar archives (ustar, with PAX and GNU long-name records), enough to open
 * the OCI image tarballs `crossplane xpkg build` writes and the layers inside them.
 * Pure: bytes in, entries out.
 */

export interface TarEntry {
  name: string;
  /** "file", "dir", "symlink" or "other". */
  type: "file" | "dir" | "symlink" | "other";
  mode: number;
  data: Buffer;
}

const BLOCK = 512;

function field(header: Buffer, offset: number, length: number): string {
  const raw = header.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString("utf8");
}

function octal(header: Buffer, offset: number, length: number, what: string): number {
  const text = field(header, offset, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`bad ${what} field ${JSON.stringify(text)} in a tar header at byte ${header.byteOffset}`);
  return parseInt(text, 8);
}

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarError";
  }
}

/** PAX extended header records: "<len> key=value\n" … */
function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number(data.subarray(pos, space).toString("ascii"));
    if (!Number.isInteger(len) || len <= 0) throw new TarError("bad PAX record length");
    const record = data.subarray(space + 1, pos + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** Every entry of a tar archive, in archive order. Throws TarError on a malformed archive. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let pax: Map<string, string> | undefined;
  while (pos + BLOCK <= archive.length) {
    const header = archive.subarray(pos, pos + BLOCK);
    if (header.every((b) => b === 0)) break;
    const stored = octal(header, 148, 8, "checksum");
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== stored) throw new TarError(`tar header checksum mismatch at byte ${pos}`);
    const size = octal(header, 124, 12, "size");
    const typeflag = String.fromCharCode(header[156] || 0x30);
    const dataStart = pos + BLOCK;
    if (dataStart + size > archive.length) throw new TarError(`tar entry at byte ${pos} runs past the end of the archive`);
    const data = archive.subarray(dataStart, dataStart + size);
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === "L") {
      longName = field(data, 0, data.length);
      continue;
    }
    if (typeflag === "x") {
      pax = paxRecords(data);
      continue;
    }
    if (typeflag === "g") continue;
    const prefix = field(header, 345, 155);
    const base = field(header, 0, 100);
    const name = pax?.get("path") ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    longName = undefined;
    pax = undefined;
    const type = typeflag === "0" || typeflag === "\0" || typeflag === "7" ? "file" : typeflag === "5" ? "dir" : typeflag === "2" ? "symlink" : "other";
    entries.push({ name, type, mode: octal(header, 100, 8, "mode"), data: Buffer.from(data) });
  }
  return entries;
}
