/**
 * The datum-batching protocol between a step and its worker, as Pachyderm's (worker.proto): the
 * variables that find the worker, the one RPC, and the protobuf wire form of its two messages.
 * Each message is one field (number 1, a length-delimited string, once in the request, repeated
 * in the response), so it is written out here rather than compiled at start-up from
 * worker.proto by protobufjs, which would load a protobuf compiler into every step's process.
 * test/unit/worker-protocol.test.ts checks these bytes against worker.proto as protobufjs reads
 * it. No gRPC library is loaded here: the engine's server (engine/worker/next-datum-server.ts)
 * speaks gRPC over node:http2 itself.
 */

/** The worker's gRPC port variable (client.PPSWorkerPortEnv) and the datum id's (client.DatumIDEnv). */
export const WORKER_PORT_VAR = 'PPS_WORKER_GRPC_PORT';
export const DATUM_ID_VAR = 'PACH_DATUM_ID';

/** What Pachyderm's worker answers NextDatum when the pipeline does not batch datums (transform/status.go, NextDatum). */
export const BATCHING_NOT_ENABLED = 'datum batching not enabled';

/** The RPC's HTTP/2 path: `/<package>.<service>/<method>` of worker.proto. */
export const NEXT_DATUM_PATH = '/pachyderm.worker.Worker/NextDatum';

/** `K=V` lines (the `.env` file and the RPC's `env` field) as a record. */
export function parseEnvLines(lines: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** NextDatumRequest: the error the previous datum ended with ('' = it succeeded). */
export interface NextDatumRequest {
  error: string;
}

/** NextDatumResponse: the next datum's `K=V` variables. */
export interface NextDatumResponse {
  env: string[];
}

/** Field 1, wire type 2 (length-delimited): the one field either message has. */
const FIELD_1_BYTES = (1 << 3) | 2;

export function encodeNextDatumRequest(req: NextDatumRequest): Buffer {
  return encodeStrings([req.error]);
}

export function decodeNextDatumRequest(bytes: Buffer): NextDatumRequest {
  return { error: decodeStrings(bytes, 'NextDatumRequest').at(-1) ?? '' };
}

export function encodeNextDatumResponse(res: NextDatumResponse): Buffer {
  return encodeStrings(res.env);
}

export function decodeNextDatumResponse(bytes: Buffer): NextDatumResponse {
  return { env: decodeStrings(bytes, 'NextDatumResponse') };
}

/** Each string as field 1: its tag, its length in bytes (a varint), its UTF-8 bytes. */
function encodeStrings(values: string[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) {
    const text = Buffer.from(value, 'utf8');
    parts.push(Buffer.from([FIELD_1_BYTES, ...varint(text.length)]), text);
  }
  return Buffer.concat(parts);
}

/**
 * The values of field 1, in order. Fields of other numbers (a newer peer's) are skipped, as
 * protobuf readers do; bytes that are no protobuf message are an error naming the message.
 */
function decodeStrings(bytes: Buffer, message: string): string[] {
  const values: string[] = [];
  const reader = { bytes, at: 0, message };
  while (reader.at < bytes.length) {
    const tag = readVarint(reader);
    const wireType = tag % 8;
    if (tag === FIELD_1_BYTES) {
      const length = readVarint(reader);
      values.push(bytes.toString('utf8', reader.at, take(reader, length)));
    } else if (wireType === 0) readVarint(reader);
    else if (wireType === 1) take(reader, 8);
    else if (wireType === 2) take(reader, readVarint(reader));
    else if (wireType === 5) take(reader, 4);
    else throw malformed(reader, `wire type ${wireType}`);
  }
  return values;
}

interface Reader {
  bytes: Buffer;
  at: number;
  message: string;
}

/** Moves past `length` bytes; returns where they end. */
function take(reader: Reader, length: number): number {
  const end = reader.at + length;
  if (end > reader.bytes.length) throw malformed(reader, 'a field longer than the message');
  reader.at = end;
  return end;
}

function readVarint(reader: Reader): number {
  let value = 0;
  for (let shift = 0; shift < 64; shift += 7) {
    if (reader.at >= reader.bytes.length) throw malformed(reader, 'a varint cut short');
    const byte = reader.bytes[reader.at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value;
  }
  throw malformed(reader, 'a varint longer than 10 bytes');
}

function varint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
  out.push(n);
  return out;
}

function malformed(reader: Reader, what: string): Error {
  return new Error(`malformed ${reader.message} (${reader.bytes.length} bytes): ${what} at byte ${reader.at}`);
}
