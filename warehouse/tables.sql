-- The warehouse's tables and their documentation. The `warehouse` step creates them in memory
-- and writes each partition's rows to
-- /parquet/<table>/day=<YYYY-MM-DD>/camera=<user>-<device>/part.parquet; readers add the
-- partition keys `day` and `camera` as columns (steps/report/warehouse-db.ts). All times are
-- UTC (TIMESTAMP without zone). Every row keeps its lineage: `repo`, `path`, `sha256` and
-- `commit` of the record file it was read from. The COMMENT ON statements travel into every
-- database the warehouse is opened in (`vigil sql --schema` prints them).

CREATE TABLE detections (
  user                 VARCHAR NOT NULL,
  device               VARCHAR NOT NULL,
  captured_at          TIMESTAMP NOT NULL,
  object_index         INTEGER,
  label                VARCHAR,
  class_id             INTEGER,
  score                DOUBLE,
  box_x                DOUBLE,
  box_y                DOUBLE,
  box_w                DOUBLE,
  box_h                DOUBLE,
  frame_width          INTEGER NOT NULL,
  frame_height         INTEGER NOT NULL,
  inference_ms         DOUBLE NOT NULL,
  error                VARCHAR,
  model_name           VARCHAR NOT NULL,
  model_commit         VARCHAR NOT NULL,
  model_weights_sha256 VARCHAR NOT NULL,
  model_backend        VARCHAR NOT NULL,
  frame_repo           VARCHAR NOT NULL,
  frame_path           VARCHAR NOT NULL,
  frame_sha256         VARCHAR NOT NULL,
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR
);
COMMENT ON TABLE detections IS 'One row per object the detector found in a frame; a frame with no object (or one the detector could not read) is one row with a NULL label, so every analysed frame is counted.';
COMMENT ON COLUMN detections.user IS 'The camera''s owner (the part of <user>-<device> before the dash).';
COMMENT ON COLUMN detections.device IS 'The camera, within its owner''s.';
COMMENT ON COLUMN detections.captured_at IS 'Capture time, UTC, from the frame''s name.';
COMMENT ON COLUMN detections.object_index IS 'Position of the object in the record''s objects; NULL: the frame had no object.';
COMMENT ON COLUMN detections.label IS 'What the object is (a COCO label such as person, car, dog); NULL: no object.';
COMMENT ON COLUMN detections.class_id IS 'The model''s class number for the label.';
COMMENT ON COLUMN detections.score IS 'How sure the detector is, 0 to 1.';
COMMENT ON COLUMN detections.box_x IS 'Left edge of the object''s box, as a fraction of the frame''s width.';
COMMENT ON COLUMN detections.box_y IS 'Top edge of the box, as a fraction of the frame''s height.';
COMMENT ON COLUMN detections.box_w IS 'Width of the box, as a fraction of the frame''s width.';
COMMENT ON COLUMN detections.box_h IS 'Height of the box, as a fraction of the frame''s height.';
COMMENT ON COLUMN detections.frame_width IS 'The validated frame''s width in pixels.';
COMMENT ON COLUMN detections.frame_height IS 'The validated frame''s height in pixels.';
COMMENT ON COLUMN detections.inference_ms IS 'Wall time of decoding, resizing and inference for this frame.';
COMMENT ON COLUMN detections.error IS 'Why the detector could not read the frame; NULL when it could.';
COMMENT ON COLUMN detections.model_name IS 'Folder of the model in the models repo, e.g. centernet.';
COMMENT ON COLUMN detections.model_commit IS 'Commit of the models repo the weights were read from.';
COMMENT ON COLUMN detections.model_weights_sha256 IS 'sha256 over the model''s weight files, in path order.';
COMMENT ON COLUMN detections.model_backend IS 'TensorFlow.js backend that ran the model: tensorflow or wasm.';
COMMENT ON COLUMN detections.frame_repo IS 'Repo of the validated frame that was analysed.';
COMMENT ON COLUMN detections.frame_path IS 'Path of the validated frame: /valid/<user>-<device>/<ts>.jpg.';
COMMENT ON COLUMN detections.frame_sha256 IS 'sha256 of the validated frame''s bytes.';
COMMENT ON COLUMN detections.repo IS 'Lineage: the repo of the detection record the row was read from.';
COMMENT ON COLUMN detections.path IS 'Lineage: the record''s path, /<user>-<device>/<ts>.json; one path per frame.';
COMMENT ON COLUMN detections.sha256 IS 'Lineage: sha256 of the record''s bytes.';
COMMENT ON COLUMN detections.commit IS 'Lineage: the commit of the repo the record was read at.';

CREATE TABLE matches (
  user                 VARCHAR NOT NULL,
  device               VARCHAR NOT NULL,
  captured_at          TIMESTAMP NOT NULL,
  local_time           VARCHAR NOT NULL,
  timezone             VARCHAR NOT NULL,
  rule_id              INTEGER NOT NULL,
  rule_name            VARCHAR NOT NULL,
  severity             VARCHAR NOT NULL,
  cooldown_seconds     DOUBLE NOT NULL,
  objects              INTEGER NOT NULL,
  labels               VARCHAR[] NOT NULL,
  zones                VARCHAR[] NOT NULL,
  max_score            DOUBLE NOT NULL,
  channels             VARCHAR[] NOT NULL,
  frame_repo           VARCHAR NOT NULL,
  frame_path           VARCHAR NOT NULL,
  frame_sha256         VARCHAR NOT NULL,
  detection_path       VARCHAR NOT NULL,
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
COMMENT ON TABLE matches IS 'One row per rule that fired on a frame: a threat.';
COMMENT ON COLUMN matches.user IS 'The camera''s owner.';
COMMENT ON COLUMN matches.device IS 'The camera, within its owner''s.';
COMMENT ON COLUMN matches.captured_at IS 'Capture time, UTC.';
COMMENT ON COLUMN matches.local_time IS 'Capture time in the camera''s time zone, ISO 8601 with offset.';
COMMENT ON COLUMN matches.timezone IS 'The camera''s IANA time zone, from subscriptions.yaml.';
COMMENT ON COLUMN matches.rule_id IS 'The rule that fired (rules.yaml id).';
COMMENT ON COLUMN matches.rule_name IS 'The rule''s name.';
COMMENT ON COLUMN matches.severity IS 'critical, error, warning or info.';
COMMENT ON COLUMN matches.cooldown_seconds IS 'The rule''s cooldown: frames closer than this belong to one incident.';
COMMENT ON COLUMN matches.objects IS 'How many objects the rule matched.';
COMMENT ON COLUMN matches.labels IS 'The distinct labels of those objects, sorted.';
COMMENT ON COLUMN matches.zones IS 'The distinct zones the objects were in, sorted.';
COMMENT ON COLUMN matches.max_score IS 'The highest detector score among the objects.';
COMMENT ON COLUMN matches.channels IS 'Where the user''s alerts go: email, pagerduty, webhook.';
COMMENT ON COLUMN matches.frame_repo IS 'Repo of the validated frame.';
COMMENT ON COLUMN matches.frame_path IS 'Path of the validated frame.';
COMMENT ON COLUMN matches.frame_sha256 IS 'sha256 of the validated frame''s bytes.';
COMMENT ON COLUMN matches.detection_path IS 'The detection record matched (detections.path).';
COMMENT ON COLUMN matches.detection_sha256 IS 'sha256 of the detection record''s bytes.';
COMMENT ON COLUMN matches.model_name IS 'The model that found the objects.';
COMMENT ON COLUMN matches.model_weights_sha256 IS 'sha256 over that model''s weight files.';
COMMENT ON COLUMN matches.rules_commit IS 'Commit of the rules repo the policy was read at.';
COMMENT ON COLUMN matches.rules_sha256 IS 'sha256 of rules.yaml at that commit.';
COMMENT ON COLUMN matches.subscriptions_sha256 IS 'sha256 of subscriptions.yaml at that commit.';
COMMENT ON COLUMN matches.repo IS 'Lineage: the repo of the match record the row was read from.';
COMMENT ON COLUMN matches.path IS 'Lineage: the record''s path, /<user>-<device>/<ts>.json.';
COMMENT ON COLUMN matches.sha256 IS 'Lineage: sha256 of the record''s bytes.';
COMMENT ON COLUMN matches.commit IS 'Lineage: the commit of the repo the record was read at.';

CREATE TABLE frames_rejected (
  user                 VARCHAR,
  device               VARCHAR,
  captured_at          TIMESTAMP,
  reason_index         INTEGER NOT NULL,
  code                 VARCHAR NOT NULL,   -- name, format, decode, resolution, size, contrast or duplicate
  message              VARCHAR NOT NULL,
  measured             VARCHAR,
  limit_value          VARCHAR,
  input_repo           VARCHAR NOT NULL,
  input_path           VARCHAR NOT NULL,
  input_sha256         VARCHAR NOT NULL,
  input_size           BIGINT,
  config_version       VARCHAR NOT NULL,
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR
);
COMMENT ON TABLE frames_rejected IS 'One row per reason validation refused a frame (a frame refused for two reasons has two rows: count DISTINCT path for frames).';
COMMENT ON COLUMN frames_rejected.user IS 'The camera''s owner; NULL when the frame''s name could not be parsed.';
COMMENT ON COLUMN frames_rejected.device IS 'The camera; NULL when the name could not be parsed.';
COMMENT ON COLUMN frames_rejected.captured_at IS 'Capture time, UTC, from the frame''s name; NULL when it could not be parsed.';
COMMENT ON COLUMN frames_rejected.reason_index IS 'Position of the reason in the record.';
COMMENT ON COLUMN frames_rejected.code IS 'name, format, decode, resolution, size or contrast.';
COMMENT ON COLUMN frames_rejected.message IS 'One sentence with the measured value and the limit.';
COMMENT ON COLUMN frames_rejected.measured IS 'What was measured, as text.';
COMMENT ON COLUMN frames_rejected.limit_value IS 'The limit it broke, as text.';
COMMENT ON COLUMN frames_rejected.input_repo IS 'Repo of the raw frame as received.';
COMMENT ON COLUMN frames_rejected.input_path IS 'Path of the raw frame.';
COMMENT ON COLUMN frames_rejected.input_sha256 IS 'sha256 of the raw frame''s bytes.';
COMMENT ON COLUMN frames_rejected.input_size IS 'Size of the raw frame in bytes.';
COMMENT ON COLUMN frames_rejected.config_version IS 'sha256 of the validation config in force.';
COMMENT ON COLUMN frames_rejected.repo IS 'Lineage: the repo of the rejection record the row was read from.';
COMMENT ON COLUMN frames_rejected.path IS 'Lineage: the record''s path, /rejected/<user>-<device>/<ts>.json or /rejected/_unparsed/<sha256>.json.';
COMMENT ON COLUMN frames_rejected.sha256 IS 'Lineage: sha256 of the record''s bytes.';
COMMENT ON COLUMN frames_rejected.commit IS 'Lineage: the commit of the repo the record was read at.';

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
  channel              VARCHAR,
  target               VARCHAR,
  recipient            VARCHAR,
  status               VARCHAR,
  attempts             INTEGER,
  response_status      INTEGER,
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
COMMENT ON TABLE alerts IS 'One row per delivery outcome of an incident; an incident with no alert target is one row with NULL channel and status, so every incident is counted.';
COMMENT ON COLUMN alerts.incident_id IS 'The incident: <user>-<device>-r<rule>-<first frame''s UTC time>.';
COMMENT ON COLUMN alerts.user IS 'The camera''s owner.';
COMMENT ON COLUMN alerts.device IS 'The camera, within its owner''s.';
COMMENT ON COLUMN alerts.timezone IS 'The camera''s IANA time zone.';
COMMENT ON COLUMN alerts.rule_id IS 'The rule whose matches make the incident.';
COMMENT ON COLUMN alerts.rule_name IS 'The rule''s name.';
COMMENT ON COLUMN alerts.severity IS 'critical, error, warning or info.';
COMMENT ON COLUMN alerts.first_captured_at IS 'Capture time of the incident''s first frame, UTC.';
COMMENT ON COLUMN alerts.last_captured_at IS 'Capture time of its last frame, UTC.';
COMMENT ON COLUMN alerts.frame_count IS 'How many frames the incident groups.';
COMMENT ON COLUMN alerts.channel IS 'email, pagerduty or webhook; NULL: the incident had no target.';
COMMENT ON COLUMN alerts.target IS 'Stable key of the target within the user''s alert targets.';
COMMENT ON COLUMN alerts.recipient IS 'Email: the masked address; PagerDuty: the routing key''s variable name; webhook: the URL without query or credentials.';
COMMENT ON COLUMN alerts.status IS 'sent, failed, skipped, held (over the user''s hourly cap: see deliveries for its digest) or grouped.';
COMMENT ON COLUMN alerts.attempts IS 'How many attempts the delivery took.';
COMMENT ON COLUMN alerts.response_status IS 'The provider''s HTTP status or SMTP reply code.';
COMMENT ON COLUMN alerts.response_body IS 'What the provider answered.';
COMMENT ON COLUMN alerts.response_message_id IS 'The provider''s id for the message.';
COMMENT ON COLUMN alerts.error IS 'A network failure, or why the delivery was skipped.';
COMMENT ON COLUMN alerts.delivered_as IS 'For grouped: the incident id the notification was delivered under.';
COMMENT ON COLUMN alerts.first_attempt_at IS 'When the first attempt started, UTC.';
COMMENT ON COLUMN alerts.last_attempt_at IS 'When the last (for sent: the accepted) attempt started, UTC.';
COMMENT ON COLUMN alerts.first_frame_path IS 'The validated frame of the incident''s first match.';
COMMENT ON COLUMN alerts.first_frame_sha256 IS 'sha256 of that frame''s bytes.';
COMMENT ON COLUMN alerts.first_match_path IS 'The incident''s first match record (matches.path).';
COMMENT ON COLUMN alerts.repo IS 'Lineage: the repo of the alert record the row was read from.';
COMMENT ON COLUMN alerts.path IS 'Lineage: the record''s path, /<user>-<device>/<incident_id>.json.';
COMMENT ON COLUMN alerts.sha256 IS 'Lineage: sha256 of the record''s bytes.';
COMMENT ON COLUMN alerts.commit IS 'Lineage: the commit of the repo the record was read at.';

CREATE TABLE deliveries (
  incident_id          VARCHAR NOT NULL,
  user                 VARCHAR NOT NULL,
  device               VARCHAR NOT NULL,
  timezone             VARCHAR NOT NULL,
  rule_id              INTEGER NOT NULL,
  rule_name            VARCHAR NOT NULL,
  severity             VARCHAR NOT NULL,
  first_captured_at    TIMESTAMP NOT NULL,
  state                VARCHAR NOT NULL,
  withdrawn_at         TIMESTAMP,
  withdrawn_reason     VARCHAR,
  kind                 VARCHAR,
  digest               VARCHAR,
  channel              VARCHAR,
  target               VARCHAR,
  recipient            VARCHAR,
  status               VARCHAR,
  attempts             INTEGER,
  response_status      INTEGER,
  response_body        VARCHAR,
  response_message_id  VARCHAR,
  error                VARCHAR,
  first_attempt_at     TIMESTAMP,
  last_attempt_at      TIMESTAMP,
  first_frame_path     VARCHAR NOT NULL,
  first_frame_sha256   VARCHAR NOT NULL,
  first_match_path     VARCHAR NOT NULL,
  model_commit         VARCHAR NOT NULL,
  rules_commit         VARCHAR NOT NULL,
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR
);
COMMENT ON TABLE deliveries IS 'Everything customers were told, from the deliveries repo: one row per notification, PagerDuty resolve and digest of an incident, withdrawn incidents included (alerts holds only the incidents the current model and rules still find). An incident whose every notification was skipped is one row with NULL kind.';
COMMENT ON COLUMN deliveries.incident_id IS 'The incident: <user>-<device>-r<rule>-<first frame''s UTC time>.';
COMMENT ON COLUMN deliveries.user IS 'The camera''s owner.';
COMMENT ON COLUMN deliveries.device IS 'The camera, within its owner''s.';
COMMENT ON COLUMN deliveries.timezone IS 'The camera''s IANA time zone.';
COMMENT ON COLUMN deliveries.rule_id IS 'The rule whose matches made the incident.';
COMMENT ON COLUMN deliveries.rule_name IS 'The rule''s name.';
COMMENT ON COLUMN deliveries.severity IS 'critical, error, warning or info.';
COMMENT ON COLUMN deliveries.first_captured_at IS 'Capture time of the incident''s first frame, UTC.';
COMMENT ON COLUMN deliveries.state IS 'active: alerts still holds the incident; withdrawn: a new model or rules commit no longer finds it.';
COMMENT ON COLUMN deliveries.withdrawn_at IS 'When the incident was found gone, UTC.';
COMMENT ON COLUMN deliveries.withdrawn_reason IS 'Why: the new model or rules commit (and the one the incident was found with).';
COMMENT ON COLUMN deliveries.kind IS 'notification (the incident''s own), resolve (of a withdrawn incident''s PagerDuty alert) or digest (that summarised a held notification).';
COMMENT ON COLUMN deliveries.digest IS 'For a digest: its id, digest-<user>-<last UTC hour it covers>.';
COMMENT ON COLUMN deliveries.channel IS 'email, pagerduty or webhook.';
COMMENT ON COLUMN deliveries.target IS 'Stable key of the target within the user''s alert targets.';
COMMENT ON COLUMN deliveries.recipient IS 'Email: the masked address; PagerDuty: the routing key''s variable name; webhook: the URL without query or credentials.';
COMMENT ON COLUMN deliveries.status IS 'sent, failed or held (over the user''s hourly cap: see the digest rows).';
COMMENT ON COLUMN deliveries.attempts IS 'How many attempts the delivery took.';
COMMENT ON COLUMN deliveries.response_status IS 'The provider''s HTTP status or SMTP reply code.';
COMMENT ON COLUMN deliveries.response_body IS 'What the provider answered (a short excerpt).';
COMMENT ON COLUMN deliveries.response_message_id IS 'The provider''s id for the message.';
COMMENT ON COLUMN deliveries.error IS 'A network failure, or why the delivery was held.';
COMMENT ON COLUMN deliveries.first_attempt_at IS 'When the first attempt started, UTC.';
COMMENT ON COLUMN deliveries.last_attempt_at IS 'When the last (for sent: the accepted) attempt started, UTC.';
COMMENT ON COLUMN deliveries.first_frame_path IS 'The validated frame of the incident''s first match.';
COMMENT ON COLUMN deliveries.first_frame_sha256 IS 'sha256 of that frame''s bytes.';
COMMENT ON COLUMN deliveries.first_match_path IS 'The incident''s first match record (matches.path).';
COMMENT ON COLUMN deliveries.model_commit IS 'The models commit the incident was found with.';
COMMENT ON COLUMN deliveries.rules_commit IS 'The rules commit the incident was found with.';
COMMENT ON COLUMN deliveries.repo IS 'Lineage: the repo of the deliveries record the row was read from.';
COMMENT ON COLUMN deliveries.path IS 'Lineage: the record''s path, /<user>-<device>/<incident_id>.json.';
COMMENT ON COLUMN deliveries.sha256 IS 'Lineage: sha256 of the record''s bytes.';
COMMENT ON COLUMN deliveries.commit IS 'Lineage: the commit of the repo the record was read at.';

CREATE TABLE load_errors (
  table_name           VARCHAR NOT NULL,
  repo                 VARCHAR NOT NULL,
  path                 VARCHAR NOT NULL,
  sha256               VARCHAR NOT NULL,
  commit               VARCHAR,
  reason               VARCHAR NOT NULL
);
COMMENT ON TABLE load_errors IS 'Record files the warehouse step could not load (not JSON, not the schema of their repo, or not the camera and day their path names), kept so that nothing is dropped silently.';
COMMENT ON COLUMN load_errors.table_name IS 'The table the file was meant for.';
COMMENT ON COLUMN load_errors.repo IS 'The repo of the file.';
COMMENT ON COLUMN load_errors.path IS 'The file''s path in that repo.';
COMMENT ON COLUMN load_errors.sha256 IS 'sha256 of the file''s bytes.';
COMMENT ON COLUMN load_errors.commit IS 'The commit of the repo the file was read at.';
COMMENT ON COLUMN load_errors.reason IS 'What is wrong with it.';
