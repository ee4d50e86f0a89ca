/**
 * The byte layout of a `.fbpk` file (README.md, "File layout"):
 *
 *   0  magic "FBPK"            4 bytes
 *   4  version                 u32 little-endian (1)
 *   8  manifest byte length    u32
 *  12  CRC-32 of bytes [16, end of file)  u32
 *  16  manifest, UTF-8 JSON, then zero bytes up to a multiple of 16: the data section starts there
 *      blobs, each at a 16-byte-aligned offset from the start of the data section
 */
export const MAGIC = 'FBPK';
export const HEADER_BYTES = 16;
/** Blob alignment: see README.md ("Why 16-byte alignment"). */
export const BLOB_ALIGN = 16;

export const align = (n: number, to = BLOB_ALIGN) => Math.ceil(n / to) * to;

/** Start of the data section for a manifest of `manifestBytes` bytes. */
export function dataStart(manifestBytes: number): number {
  return align(HEADER_BYTES + manifestBytes);
}
