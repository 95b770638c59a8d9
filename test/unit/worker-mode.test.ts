import assert from 'node:assert/strict';
import { test } from 'node:test';
import { datumBatching } from '../../src/pfs/datums.js';

// How a step tells whether its worker batches datums, from what a Pachyderm worker gives it:
// PPS_WORKER_GRPC_PORT in every pod (src/server/pps/server/worker_rc.go, workerPodSpec);
// PACH_DATUM_ID only in a non-batching step's process, whose UserCodeEnv has the datum's inputs
// (src/server/worker/driver/driver.go, UserCodeEnv; transform/worker.go, handleDatumSetBatching
// passes none).

test('a step with its datum in its environment is one datum; one without, on a worker, loops on NextDatum', () => {
  assert.equal(datumBatching({ PPS_WORKER_GRPC_PORT: '1080', PACH_DATUM_ID: 'abc', PACH_JOB_ID: 'j' }), false, 'non-batching worker');
  assert.equal(datumBatching({ PPS_WORKER_GRPC_PORT: '1080', PACH_JOB_ID: 'j' }), true, 'batching worker');
  assert.equal(datumBatching({ PACH_DATUM_ID: 'abc' }), false, 'outside a worker: the datum of its environment');
  assert.equal(datumBatching({ PPS_WORKER_GRPC_PORT: '' }), false, 'an empty port is no worker');
});
