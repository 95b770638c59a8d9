/**
 * The OpenAPI 3 description of `vigil serve`'s HTTP API, served at /v1/openapi.json. The bodies'
 * schemas are the JSON Schemas of specs/ (api-error, frame-receipt), embedded as they are.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../pfs/package-root.js';

function schema(name: string): Record<string, unknown> {
  const {
    $schema: _s,
    $id: _i,
    ...rest
  } = JSON.parse(readFileSync(join(packageRoot(), 'specs', `${name}.schema.json`), 'utf8')) as Record<string, unknown>;
  return rest;
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
});

const receiptResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/FrameReceipt' } } },
});

const refusals = {
  '400': errorResponse("bad_path or capture_time: the path, the timestamp or the capture time is refused (the validate stage's limits)."),
  '401': errorResponse('unauthorized: no device token, or a wrong or revoked one.'),
  '403': errorResponse("forbidden: the token is another camera's; tls_required: a token over plain HTTP from another host."),
  '409': errorResponse('conflict: another frame is stored at that path.'),
  '413': errorResponse("too_large: over the validate stage's maxBytes."),
  '415': errorResponse("unsupported_format: the bytes' magic numbers are no format the validate stage takes."),
  '500': errorResponse('internal: the store failed; nothing was acknowledged.'),
  '503': {
    ...errorResponse('queue_full (send again after Retry-After seconds) or shutting_down. Nothing was stored.'),
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait before sending again.' } },
  },
};

const imageBody = {
  required: true,
  description: 'The frame: JPEG, PNG or WebP bytes (told by their magic numbers; the Content-Type is not read).',
  content: {
    'image/jpeg': { schema: { type: 'string', format: 'binary' } },
    'image/png': { schema: { type: 'string', format: 'binary' } },
    'image/webp': { schema: { type: 'string', format: 'binary' } },
    'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
  },
};

const sourceParam = {
  name: 'source',
  in: 'path',
  required: true,
  description: '<user>-<device>, each [A-Za-z0-9_]{1,64}: the camera, whose token must be sent.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_]{1,64}-[A-Za-z0-9_]{1,64}$' },
};

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Vigil images collector',
      version,
      description:
        'Cameras send frames to `vigil serve`; each is checked against the validate stage\'s limits before anything is stored, committed to the raw repo in a group commit, and answered once durable. See README.md, "vigil serve".',
    },
    components: {
      securitySchemes: {
        deviceToken: { type: 'http', scheme: 'bearer', description: "A camera's token from `vigil device add <user>-<device>`." },
      },
      schemas: { ApiError: schema('api-error'), FrameReceipt: schema('frame-receipt') },
    },
    paths: {
      '/v1/frames/{source}/{file}': {
        put: {
          summary: 'Store a frame at /<user>-<device>/<ts>.<ext> of raw',
          operationId: 'putFrame',
          security: [{ deviceToken: [] }],
          parameters: [
            sourceParam,
            {
              name: 'file',
              in: 'path',
              required: true,
              description: '<ts>.<jpg|jpeg|png|webp>, ts the UTC capture time YYYYMMDDTHHMMSS[.mmm]Z.',
              schema: { type: 'string', pattern: '^[0-9]{8}T[0-9]{6}(\\.[0-9]{3})?Z\\.(jpg|jpeg|png|webp)$' },
            },
          ],
          requestBody: imageBody,
          responses: {
            '201': receiptResponse('Stored and committed.'),
            '200': receiptResponse('The same bytes were already stored at that path.'),
            ...refusals,
          },
        },
      },
      '/v1/frames/{source}': {
        post: {
          summary: 'Store a frame named by its capture time (X-Capture-Time, else EXIF)',
          operationId: 'postFrame',
          security: [{ deviceToken: [] }],
          parameters: [
            sourceParam,
            {
              name: 'X-Capture-Time',
              in: 'header',
              required: false,
              description:
                "The capture time with its zone (2026-11-26T04:15:00Z, 2026-11-26T05:15:00+01:00 or 20261126T041500Z). Without it: EXIF DateTimeOriginal, with OffsetTimeOriginal or else the camera's time zone from rules@master:/subscriptions.yaml.",
              schema: { type: 'string' },
            },
          ],
          requestBody: imageBody,
          responses: {
            '201': receiptResponse('Stored and committed.'),
            '200': receiptResponse('The same bytes were already stored at that path.'),
            ...refusals,
          },
        },
      },
      '/healthz': { get: { summary: 'The process is up', operationId: 'health', responses: { '200': { description: 'Up.' } } } },
      '/readyz': {
        get: {
          summary: 'Frames are taken now',
          operationId: 'ready',
          responses: { '200': { description: 'Ready.' }, '503': errorResponse('Stopping, or the ingest queue is full.') },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text format 0.0.4)',
          operationId: 'metrics',
          responses: { '200': { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/v1/openapi.json': {
        get: {
          summary: 'This document',
          operationId: 'openapi',
          responses: { '200': { description: 'OpenAPI 3.0 JSON.', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
  };
}
