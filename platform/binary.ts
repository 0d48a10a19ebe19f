/**
 * Sanity checks of a shared library's ELF or Mach-O headers against the file's size, made before
 * dlopen: the dynamic loader maps every segment the headers describe, and touching a mapped page
 * past the end of a truncated file kills the process with SIGBUS instead of failing. Only the
 * headers are read, never the whole file.
 *
 * @module
 */

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
function readAt(file: Deno.FsFile, offset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  file.seekSync(offset, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < length) {
    const got = file.readSync(bytes.subarray(filled));
    if (got === null || got === 0) break;
    filled += got;
  }
  return bytes.subarray(0, filled);
}

function printable(bytes: Uint8Array): string {
  return JSON.stringify(String.fromCharCode(...bytes.subarray(0, 8)).replace(/[^\x20-\x7e]/g, "."));
}

/** Why `path` is not a loadable library of the right shape, or `undefined` when it looks sound. */
export function libraryFileProblem(path: string): string | undefined {
  const file = Deno.openSync(path, { read: true });
  try {
    const size = file.statSync().size;
    const head = readAt(file, 0, 64);
    if (head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
      return elfProblem(file, size, head);
    }
    const magic = head.length >= 4 ? new DataView(head.buffer, head.byteOffset).getUint32(0, false) : 0;
    if (magic === 0xcffaedfe || magic === 0xcefaedfe || magic === 0xfeedfacf || magic === 0xfeedface) {
      return machOProblem(file, size, 0, size);
    }
    if (magic === 0xcafebabe) return fatProblem(file, size);
    return `it is not a shared library (${size} bytes, no ELF or Mach-O header; it starts with ` +
      `${printable(head)})`;
  } finally {
    file.close();
  }
}

function beyond(what: string, end: number, size: number): string {
  return `it is truncated or damaged: its ${what} end at byte ${end}, but the file has ${size} bytes`;
}

function elfProblem(file: Deno.FsFile, size: number, head: Uint8Array): string | undefined {
  const wide = head[4] === 2; // ELFCLASS64
  const little = head[5] === 1; // ELFDATA2LSB
  const minimum = wide ? 64 : 52;
  if (head.length < minimum) return beyond("ELF header would", minimum, size);
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  const word = (offset: number) =>
    wide ? Number(view.getBigUint64(offset, little)) : view.getUint32(offset, little);
  const phoff = word(wide ? 0x20 : 0x1c);
  const shoff = word(wide ? 0x28 : 0x20);
  const phentsize = view.getUint16(wide ? 0x36 : 0x2a, little);
  const phnum = view.getUint16(wide ? 0x38 : 0x2c, little);
  const shentsize = view.getUint16(wide ? 0x3a : 0x2e, little);
  const shnum = view.getUint16(wide ? 0x3c : 0x30, little);
  const programEnd = phoff + phnum * phentsize;
  if (phnum === 0 || programEnd > size) return beyond("program headers", programEnd, size);
  const sectionEnd = shoff + shnum * shentsize;
  if (shoff !== 0 && sectionEnd > size) return beyond("section headers", sectionEnd, size);
  const table = readAt(file, phoff, phnum * phentsize);
  const headers = new DataView(table.buffer, table.byteOffset, table.length);
  for (let k = 0; k < phnum; k++) {
    const base = k * phentsize;
    const type = headers.getUint32(base, little);
    if (type !== 1 && type !== 2) continue; // PT_LOAD, PT_DYNAMIC: what the loader maps and reads
    const offset = wide
      ? Number(headers.getBigUint64(base + 8, little))
      : headers.getUint32(base + 4, little);
    const length = wide
      ? Number(headers.getBigUint64(base + 32, little))
      : headers.getUint32(base + 16, little);
    if (offset + length > size) {
      return beyond(
        `${type === 1 ? "loadable segment" : "dynamic section"} ${k} would`,
        offset + length,
        size,
      );
    }
  }
  return undefined;
}

function machOProblem(file: Deno.FsFile, size: number, start: number, length: number): string | undefined {
  const head = readAt(file, start, 32);
  if (head.length < 28) return beyond("Mach-O header would", start + 28, size);
  const first = new DataView(head.buffer, head.byteOffset, head.length);
  const little = first.getUint32(0, true) === 0xfeedfacf || first.getUint32(0, true) === 0xfeedface;
  const wide = first.getUint32(0, little) === 0xfeedfacf;
  const headerSize = wide ? 32 : 28;
  const ncmds = first.getUint32(16, little);
  const sizeofcmds = first.getUint32(20, little);
  const commandsEnd = start + headerSize + sizeofcmds;
  if (commandsEnd > start + length || commandsEnd > size) return beyond("load commands", commandsEnd, size);
  const commands = readAt(file, start + headerSize, sizeofcmds);
  const view = new DataView(commands.buffer, commands.byteOffset, commands.length);
  let at = 0;
  for (let k = 0; k < ncmds; k++) {
    if (at + 8 > sizeofcmds) return beyond(`load command ${k} would`, start + headerSize + at + 8, size);
    const cmd = view.getUint32(at, little);
    const cmdsize = view.getUint32(at + 4, little);
    if (cmdsize < 8 || at + cmdsize > sizeofcmds) {
      return beyond(`load command ${k} would`, start + headerSize + at + cmdsize, size);
    }
    if (cmd === 0x19 && cmdsize >= 56) { // LC_SEGMENT_64
      const end = Number(view.getBigUint64(at + 40, little)) + Number(view.getBigUint64(at + 48, little));
      if (start + end > size) return beyond(`segment ${k} would`, start + end, size);
    } else if (cmd === 0x1 && cmdsize >= 40) { // LC_SEGMENT
      const end = view.getUint32(at + 32, little) + view.getUint32(at + 36, little);
      if (start + end > size) return beyond(`segment ${k} would`, start + end, size);
    }
    at += cmdsize;
  }
  return undefined;
}

function fatProblem(file: Deno.FsFile, size: number): string | undefined {
  const head = readAt(file, 0, 8);
  const count = new DataView(head.buffer, head.byteOffset, head.length).getUint32(4, false);
  const table = readAt(file, 8, count * 20);
  if (table.length < count * 20) return beyond("universal-binary table would", 8 + count * 20, size);
  const view = new DataView(table.buffer, table.byteOffset, table.length);
  for (let k = 0; k < count; k++) {
    const offset = view.getUint32(k * 20 + 8, false);
    const length = view.getUint32(k * 20 + 12, false);
    if (offset + length > size) return beyond(`architecture ${k} would`, offset + length, size);
    const problem = machOProblem(file, size, offset, length);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
