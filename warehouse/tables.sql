-- The warehouse's tables. The `warehouse` step creates them in memory and writes each device's
-- rows to /parquet/<table>/device=<user>-<device>/part.parquet; the `report` step creates them
-- in /warehouse.duckdb and loads every partition. All times are UTC (TIMESTAMP without zone).
-- Every row keeps its lineage: `repo`, `path`, `sha256` and `commit` of the record file it was
-- read from.

-- One row per detected object; a frame with no object (or one the detector could not read) is
-- one row with a NULL label, so frames that matched nothing are still counted.
CREATE TABLE detections (
  user                 VARCHAR NOT NULL,
  device               VARCHAR NOT NULL,
  captured_at          TIMESTAMP NOT NULL,
  object_index         INTEGER,            -- position in the record's objects; NULL: no object
  label                VARCHAR,
  class_id             INTEGER,
  score                DOUBLE,
  box_x                DOUBLE,             -- box as fractions of the frame, top-left corner
  box_y                DOUBLE,
  box_w                DOUBLE,
  box_h                DOUBLE,
  frame_width          INTEGER NOT NULL,
  frame_height         INTEGER NOT NULL,
  inference_ms         DOUBLE NOT NULL,
  error                VARCHAR,            -- why the detector could not read the frame
  model_name           VARCHAR NOT NULL,
  model_commit         VARCHAR NOT NULL,
  model_weights_sha256 VARCHAR NOT NULL,
  model_backend        VARCHAR NOT NULL,
  frame_repo           VARCHAR NOT NULL,   -- the validated frame that was analysed
  frame_path           VARCHAR NOT NULL,
  frame_sha256         VARCHAR NOT NULL,
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR
);

-- One row per rule that fired on a frame: a threat.
CREATE TABLE matches (
  user                 VARCHAR NOT NULL,
  device               VARCHAR NOT NULL,
  captured_at          TIMESTAMP NOT NULL,
  local_time           VARCHAR NOT NULL,   -- capture time in the device's zone, ISO 8601 with offset
  timezone             VARCHAR NOT NULL,
  rule_id              INTEGER NOT NULL,
  rule_name            VARCHAR NOT NULL,
  severity             VARCHAR NOT NULL,   -- critical, error, warning or info
  cooldown_seconds     DOUBLE NOT NULL,
  objects              INTEGER NOT NULL,   -- how many objects the rule matched
  labels               VARCHAR[] NOT NULL, -- their distinct labels, sorted
  zones                VARCHAR[] NOT NULL, -- the distinct zones they were in, sorted
  max_score            DOUBLE NOT NULL,
  channels             VARCHAR[] NOT NULL, -- where the user's alerts go: email, pagerduty, webhook
  frame_repo           VARCHAR NOT NULL,
  frame_path           VARCHAR NOT NULL,
  frame_sha256         VARCHAR NOT NULL,
  detection_path       VARCHAR NOT NULL,   -- the detection record matched (detections.path)
  detection_sha256     VARCHAR NOT NULL,
  model_name           VARCHAR NOT NULL,
  model_weights_sha256 VARCHAR NOT NULL,
  rules_commit         VARCHAR NOT NULL,
  rules_sha256         VARCHAR NOT NULL,
  subscriptions_sha256 VARCHAR NOT NULL,
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR
);

-- One row per reason validation refused a frame (a frame refused for two reasons has two
-- rows; count DISTINCT path for frames). user, device and captured_at are NULL when the frame's
-- name could not be parsed.
CREATE TABLE frames_rejected (
  user                 VARCHAR,
  device               VARCHAR,
  captured_at          TIMESTAMP,
  reason_index         INTEGER NOT NULL,
  code                 VARCHAR NOT NULL,   -- name, format, decode, resolution, size, contrast or duplicate
  message              VARCHAR NOT NULL,
  measured             VARCHAR,
  limit_value          VARCHAR,
  input_repo           VARCHAR NOT NULL,   -- the raw frame as received
  input_path           VARCHAR NOT NULL,
  input_sha256         VARCHAR NOT NULL,
  input_size           BIGINT,
  config_version       VARCHAR NOT NULL,
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR
);

-- One row per delivery outcome of an incident (an incident with no alert target is one row with
-- NULL channel and status, so every incident is counted).
CREATE TABLE alerts (
  incident_id          VARCHAR NOT NULL,
  user                 VARCHAR NOT NULL,
  device               VARCHAR NOT NULL,
  timezone             VARCHAR NOT NULL,
  rule_id              INTEGER NOT NULL,
  rule_name            VARCHAR NOT NULL,
  severity             VARCHAR NOT NULL,
  first_captured_at    TIMESTAMP NOT NULL,
  last_captured_at     TIMESTAMP NOT NULL,
  frame_count          INTEGER NOT NULL,
  channel              VARCHAR,            -- email, pagerduty or webhook
  target               VARCHAR,
  recipient            VARCHAR,
  status               VARCHAR,            -- sent, failed, skipped or grouped
  attempts             INTEGER,
  response_status      INTEGER,            -- HTTP status or SMTP reply code
  response_body        VARCHAR,
  response_message_id  VARCHAR,
  error                VARCHAR,
  delivered_as         VARCHAR,
  first_attempt_at     TIMESTAMP,
  last_attempt_at      TIMESTAMP,
  first_frame_path     VARCHAR NOT NULL,
  first_frame_sha256   VARCHAR NOT NULL,
  first_match_path     VARCHAR NOT NULL,
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR
);

-- Record files the warehouse step could not load (not JSON, or not the schema of their repo),
-- kept so that nothing is dropped silently.
CREATE TABLE load_errors (
  table_name           VARCHAR NOT NULL,   -- the table the file was meant for
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR,
  reason               VARCHAR NOT NULL
);
