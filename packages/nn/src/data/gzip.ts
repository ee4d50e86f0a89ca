/** Gzip detection and a browser-safe decompressor (DecompressionStream, in browsers and Node ≥ 18). */

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes; other bytes are returned unchanged. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  if (typeof DecompressionStream === 'undefined') {
    throw new Error(
      'gunzip: DecompressionStream is not available here; decompress the file before parsing it',
    );
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`gunzip: corrupted gzip data (${(e as Error).message})`);
  }
}
