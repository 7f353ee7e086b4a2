/**
 * Hand-built RDB files for decoder and loader tests: a file whose body is
 * written with the encoder's primitives (any opcode, any old encoding), and
 * listpack blobs.
 */
import { RdbEncoder } from "../../src/persistence/rdb_encoder.ts";
import { crc64 } from "../../src/persistence/crc64.ts";
import { ListpackWriter } from "../../src/persistence/listpack.ts";

/** A file of RDB `version` whose body is written with the encoder's primitives. */
export function rdbFile(version: number, body: (e: RdbEncoder) => void): Uint8Array {
  const e = new RdbEncoder({ externalChecksum: true });
  body(e);
  const bytes = e.takeChunk();
  const magic = "REDIS" + String(version).padStart(4, "0");
  const trailer = version >= 5 ? 8 : 0;
  const out = new Uint8Array(9 + bytes.length + 1 + trailer);
  for (let i = 0; i < 9; i++) out[i] = magic.charCodeAt(i);
  out.set(bytes, 9);
  out[9 + bytes.length] = 0xff;
  if (trailer) {
    const crc = crc64(0n, out.subarray(0, out.length - 8));
    new DataView(out.buffer).setBigUint64(out.length - 8, crc, true);
  }
  return out;
}

/** A listpack of `values` as Redis writes it. */
export function listpackBytes(values: string[]): Uint8Array {
  const lp = new ListpackWriter();
  for (const v of values) lp.appendString(v);
  const end = lp.finish();
  return lp.writer.bytes.slice(0, end);
}
