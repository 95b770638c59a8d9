/**
 * Fields of a pipeline request (CreatePipelineRequest, pps.proto) that need care, by their
 * camelCase path: kept apart from spec.ts so that printing a pipeline does not load Ajv and YAML.
 */

/** Map-valued fields whose keys are data (env var names, labels), not field names. */
export const MAP_FIELDS = new Set(['transform.env', 'metadata.annotations', 'metadata.labels', 'schedulingSpec.nodeSelector']);

/** The 64-bit integer fields (int64, uint64): protojson writes them as strings. */
export const INT64_FIELDS = new Set([
  'datumTries',
  'parallelismSpec.constant',
  'transform.acceptReturnCode',
  'resourceRequests.gpu.number',
  'resourceLimits.gpu.number',
  'sidecarResourceRequests.gpu.number',
  'sidecarResourceLimits.gpu.number',
  'datumSetSpec.number',
  'datumSetSpec.sizeBytes',
  'datumSetSpec.perWorker',
]);
