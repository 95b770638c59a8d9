/**
 * The NextDatum messages' wire form (src/pfs/worker-protocol.ts) against worker.proto itself, as
 * protobufjs compiles it (through @grpc/proto-loader, as grpc's own Node examples load a
 * service): the same bytes out, the same messages in, so that a step speaks to Pachyderm's
 * worker (Go's protobuf) exactly as to the embedded engine.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../../src/pfs/package-root.js';
import {
  decodeNextDatumRequest,
  decodeNextDatumResponse,
  encodeNextDatumRequest,
  encodeNextDatumResponse,
} from '../../src/pfs/worker-protocol.js';

const proto = protoLoader.loadSync(join(packageRoot(), 'src', 'pfs', 'worker.proto'), { keepCase: true, defaults: true });
const nextDatum = proto['pachyderm.worker.Worker'] as protoLoader.ServiceDefinition;
const { requestSerialize, requestDeserialize, responseSerialize, responseDeserialize } = nextDatum.NextDatum!;

const LONG = 'é'.repeat(70_000);
const REQUESTS = [
  { error: '' },
  { error: 'decode: Input buffer contains unsupported image format' },
  { error: 'x'.repeat(200) },
  { error: LONG },
];
const RESPONSES = [
  { env: [] },
  { env: ['raw=/pfs/raw/u1-cam1/20261126T041500Z.jpg', 'raw_COMMIT=0a1b', 'PACH_DATUM_ID=9f'] },
  { env: ['', 'EMPTY=', `LONG=${LONG}`, 'ünïcödé=✓'] },
];

test('a request and a response are the bytes worker.proto gives them', () => {
  for (const req of REQUESTS) assert.deepEqual(encodeNextDatumRequest(req), requestSerialize(req), `request ${req.error.slice(0, 20)}`);
  for (const res of RESPONSES) assert.deepEqual(encodeNextDatumResponse(res), responseSerialize(res), `response of ${res.env.length}`);
});

test('what worker.proto encodes decodes to the same message', () => {
  for (const req of REQUESTS) assert.deepEqual(decodeNextDatumRequest(requestSerialize(req)), requestDeserialize(requestSerialize(req)));
  for (const res of RESPONSES)
    assert.deepEqual(decodeNextDatumResponse(responseSerialize(res)), responseDeserialize(responseSerialize(res)));
});

test("fields worker.proto does not name (a newer peer's) are skipped, as protobuf readers skip them", () => {
  const bytes = Buffer.concat([
    Buffer.from([0x10, 0x96, 0x01]), // field 2, varint 150
    responseSerialize({ env: ['A=1'] }),
    Buffer.from([0x19, 1, 2, 3, 4, 5, 6, 7, 8]), // field 3, 64-bit
    Buffer.from([0x22, 0x02, 0x68, 0x69]), // field 4, 2 bytes
    Buffer.from([0x2d, 1, 2, 3, 4]), // field 5, 32-bit
    responseSerialize({ env: ['B=2'] }),
  ]);
  assert.deepEqual(decodeNextDatumResponse(bytes), { env: ['A=1', 'B=2'] });
  assert.deepEqual(decodeNextDatumResponse(bytes), responseDeserialize(bytes));
  assert.deepEqual(decodeNextDatumRequest(bytes), requestDeserialize(bytes), 'a repeated singular field: the last one counts');
});

test('bytes cut short are an error naming the message, never a shorter message', () => {
  const whole = responseSerialize({ env: ['raw=/pfs/raw/a.jpg'] });
  assert.throws(
    () => decodeNextDatumResponse(whole.subarray(0, whole.length - 3)),
    /^Error: malformed NextDatumResponse \(\d+ bytes\): a field longer than the message/,
  );
  assert.throws(() => decodeNextDatumRequest(Buffer.from([0x0a, 0x80])), /malformed NextDatumRequest \(2 bytes\): a varint cut short/);
  assert.throws(() => decodeNextDatumRequest(Buffer.from([0x0b])), /malformed NextDatumRequest \(1 bytes\): wire type 3/);
});
