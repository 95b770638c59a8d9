-- The warehouse's views, over the tables of tables.sql as every reader opens them: with the
-- partition keys `day` (the record's UTC day: captured_at's, first_captured_at's for alerts and
-- deliveries)
-- and `camera` as columns. Filtering on `day` reads only that day's partitions. Days and hours
-- are UTC; counts are INTEGER so they read as plain numbers in every client.

CREATE VIEW daily_threats AS
SELECT day, user, device, rule_id, rule_name AS rule, severity, count(*)::INTEGER AS threats
FROM matches
GROUP BY ALL;
COMMENT ON VIEW daily_threats IS 'Threats (rules that fired on a frame) per UTC day, camera and rule.';
COMMENT ON COLUMN daily_threats.day IS 'The UTC day of capture.';
COMMENT ON COLUMN daily_threats.user IS 'The camera''s owner.';
COMMENT ON COLUMN daily_threats.device IS 'The camera.';
COMMENT ON COLUMN daily_threats.rule_id IS 'The rule that fired.';
COMMENT ON COLUMN daily_threats.rule IS 'The rule''s name.';
COMMENT ON COLUMN daily_threats.severity IS 'critical, error, warning or info.';
COMMENT ON COLUMN daily_threats.threats IS 'Frames on which the rule fired.';

CREATE VIEW threats_by_user AS
SELECT day, user,
       sum(threats)::INTEGER AS threats,
       count(DISTINCT device)::INTEGER AS devices,
       coalesce(sum(threats) FILTER (WHERE severity = 'critical'), 0)::INTEGER AS critical,
       coalesce(sum(threats) FILTER (WHERE severity = 'error'), 0)::INTEGER AS error,
       coalesce(sum(threats) FILTER (WHERE severity = 'warning'), 0)::INTEGER AS warning,
       coalesce(sum(threats) FILTER (WHERE severity = 'info'), 0)::INTEGER AS info
FROM daily_threats
GROUP BY day, user;
COMMENT ON VIEW threats_by_user IS 'Threats per UTC day and user, split by severity.';
COMMENT ON COLUMN threats_by_user.day IS 'The UTC day of capture.';
COMMENT ON COLUMN threats_by_user.user IS 'The user.';
COMMENT ON COLUMN threats_by_user.threats IS 'Threats on all the user''s cameras.';
COMMENT ON COLUMN threats_by_user.devices IS 'Cameras with at least one threat.';
COMMENT ON COLUMN threats_by_user.critical IS 'Threats of severity critical.';
COMMENT ON COLUMN threats_by_user.error IS 'Threats of severity error.';
COMMENT ON COLUMN threats_by_user.warning IS 'Threats of severity warning.';
COMMENT ON COLUMN threats_by_user.info IS 'Threats of severity info.';

CREATE VIEW rejections_by_reason AS
SELECT day, user, device, code, count(DISTINCT path)::INTEGER AS frames
FROM frames_rejected
GROUP BY ALL;
COMMENT ON VIEW rejections_by_reason IS 'Frames validation refused, per UTC day, camera and reason (a frame refused for two reasons counts under both).';
COMMENT ON COLUMN rejections_by_reason.day IS 'The UTC day of capture; NULL when the frame''s name could not be parsed.';
COMMENT ON COLUMN rejections_by_reason.user IS 'The camera''s owner; NULL when the name could not be parsed.';
COMMENT ON COLUMN rejections_by_reason.device IS 'The camera; NULL when the name could not be parsed.';
COMMENT ON COLUMN rejections_by_reason.code IS 'name, format, decode, resolution, size or contrast.';
COMMENT ON COLUMN rejections_by_reason.frames IS 'Frames refused for this reason.';

CREATE VIEW delivery_latency AS
SELECT day, channel, incident_id, user, device,
       round(epoch(last_attempt_at) - epoch(first_captured_at), 3) AS latency_seconds
FROM deliveries
WHERE kind = 'notification' AND status = 'sent' AND last_attempt_at IS NOT NULL;
COMMENT ON VIEW delivery_latency IS 'Every notification that reached the customer (withdrawn incidents included), with the time from the incident''s first frame to the accepted attempt.';
COMMENT ON COLUMN delivery_latency.day IS 'The UTC day of the incident''s first frame.';
COMMENT ON COLUMN delivery_latency.channel IS 'email, pagerduty or webhook.';
COMMENT ON COLUMN delivery_latency.incident_id IS 'The incident.';
COMMENT ON COLUMN delivery_latency.user IS 'The camera''s owner.';
COMMENT ON COLUMN delivery_latency.device IS 'The camera.';
COMMENT ON COLUMN delivery_latency.latency_seconds IS 'Seconds from the first frame''s capture to the accepted attempt, rounded to the millisecond.';

CREATE VIEW alert_latency AS
SELECT channel,
       count(*)::INTEGER AS delivered,
       round(quantile_cont(latency_seconds, 0.5), 3) AS p50_seconds,
       round(quantile_cont(latency_seconds, 0.9), 3) AS p90_seconds,
       round(quantile_cont(latency_seconds, 0.99), 3) AS p99_seconds,
       max(latency_seconds) AS max_seconds
FROM delivery_latency
GROUP BY channel;
COMMENT ON VIEW alert_latency IS 'Capture-to-delivery time per channel over every sent alert (quantile_cont, rounded to the millisecond).';
COMMENT ON COLUMN alert_latency.channel IS 'email, pagerduty or webhook.';
COMMENT ON COLUMN alert_latency.delivered IS 'Deliveries sent.';
COMMENT ON COLUMN alert_latency.p50_seconds IS 'Median seconds from capture to delivery.';
COMMENT ON COLUMN alert_latency.p90_seconds IS '90th percentile.';
COMMENT ON COLUMN alert_latency.p99_seconds IS '99th percentile.';
COMMENT ON COLUMN alert_latency.max_seconds IS 'The longest.';

CREATE VIEW alert_latency_daily AS
SELECT day, channel,
       count(*)::INTEGER AS delivered,
       round(quantile_cont(latency_seconds, 0.5), 3) AS p50_seconds,
       round(quantile_cont(latency_seconds, 0.9), 3) AS p90_seconds,
       round(quantile_cont(latency_seconds, 0.99), 3) AS p99_seconds,
       max(latency_seconds) AS max_seconds
FROM delivery_latency
GROUP BY day, channel;
COMMENT ON VIEW alert_latency_daily IS 'Capture-to-delivery time per UTC day of the incident''s first frame and channel (rounded to the millisecond).';
COMMENT ON COLUMN alert_latency_daily.day IS 'The UTC day of the incident''s first frame.';
COMMENT ON COLUMN alert_latency_daily.channel IS 'email, pagerduty or webhook.';
COMMENT ON COLUMN alert_latency_daily.delivered IS 'Deliveries sent.';
COMMENT ON COLUMN alert_latency_daily.p50_seconds IS 'Median seconds from capture to delivery.';
COMMENT ON COLUMN alert_latency_daily.p90_seconds IS '90th percentile.';
COMMENT ON COLUMN alert_latency_daily.p99_seconds IS '99th percentile.';
COMMENT ON COLUMN alert_latency_daily.max_seconds IS 'The longest.';

-- Grouped by every column that the record's path sets, so that a filter on the day reaches the
-- partitions.
CREATE VIEW frames_analysed AS
SELECT path, repo, sha256, commit, user, device, captured_at, day, count(label)::INTEGER AS objects
FROM detections
GROUP BY path, repo, sha256, commit, user, device, captured_at, day;
COMMENT ON VIEW frames_analysed IS 'One row per analysed frame (detection record), with its object count.';
COMMENT ON COLUMN frames_analysed.path IS 'The detection record (detections.path).';
COMMENT ON COLUMN frames_analysed.repo IS 'Its repo.';
COMMENT ON COLUMN frames_analysed.sha256 IS 'sha256 of its bytes.';
COMMENT ON COLUMN frames_analysed.commit IS 'The commit it was read at.';
COMMENT ON COLUMN frames_analysed.user IS 'The camera''s owner.';
COMMENT ON COLUMN frames_analysed.device IS 'The camera.';
COMMENT ON COLUMN frames_analysed.captured_at IS 'Capture time, UTC.';
COMMENT ON COLUMN frames_analysed.day IS 'The UTC day of capture.';
COMMENT ON COLUMN frames_analysed.objects IS 'Objects the detector found in the frame.';

-- A match lies in its detection's partition (one frame, one day), so the join keeps to one day.
CREATE VIEW unmatched_daily AS
SELECT f.day, f.user, f.device,
       count(*)::INTEGER AS frames,
       count(*) FILTER (WHERE m.detection_path IS NULL)::INTEGER AS unmatched_frames,
       coalesce(sum(f.objects) FILTER (WHERE m.detection_path IS NULL), 0)::INTEGER AS unmatched_objects
FROM frames_analysed f
LEFT JOIN (SELECT DISTINCT day, detection_path FROM matches) m ON m.day = f.day AND m.detection_path = f.path
GROUP BY ALL;
COMMENT ON VIEW unmatched_daily IS 'Analysed frames per UTC day and camera, and those on which no rule fired with their objects (what the cameras saw that no rule cared about).';
COMMENT ON COLUMN unmatched_daily.day IS 'The UTC day of capture.';
COMMENT ON COLUMN unmatched_daily.user IS 'The camera''s owner.';
COMMENT ON COLUMN unmatched_daily.device IS 'The camera.';
COMMENT ON COLUMN unmatched_daily.frames IS 'Frames analysed.';
COMMENT ON COLUMN unmatched_daily.unmatched_frames IS 'Of those, frames on which no rule fired.';
COMMENT ON COLUMN unmatched_daily.unmatched_objects IS 'Objects in the unmatched frames.';

-- A detection row per object; the join keeps to one day's partitions, as unmatched_daily's.
CREATE VIEW unmatched_objects AS
SELECT d.day, d.user, d.device, d.label,
       count(*)::INTEGER AS objects,
       count(DISTINCT d.path)::INTEGER AS frames,
       round(avg(d.score), 3) AS mean_score,
       round(max(d.score), 3) AS max_score
FROM detections d
LEFT JOIN (SELECT DISTINCT day, detection_path FROM matches) m ON m.day = d.day AND m.detection_path = d.path
WHERE m.detection_path IS NULL AND d.label IS NOT NULL
GROUP BY ALL;
COMMENT ON VIEW unmatched_objects IS 'Objects the detector found on frames where no rule fired, per UTC day, camera and label: what no rule cares about (or a rule''s minScore keeps out).';
COMMENT ON COLUMN unmatched_objects.day IS 'The UTC day of capture.';
COMMENT ON COLUMN unmatched_objects.user IS 'The camera''s owner.';
COMMENT ON COLUMN unmatched_objects.device IS 'The camera.';
COMMENT ON COLUMN unmatched_objects.label IS 'The object''s class, as the model names it.';
COMMENT ON COLUMN unmatched_objects.objects IS 'Objects of this label on frames where no rule fired.';
COMMENT ON COLUMN unmatched_objects.frames IS 'The frames they were on.';
COMMENT ON COLUMN unmatched_objects.mean_score IS 'Their mean detector score (0-1, rounded to 3 places).';
COMMENT ON COLUMN unmatched_objects.max_score IS 'Their highest detector score (0-1, rounded to 3 places).';

CREATE VIEW delivery_history AS
SELECT day, first_captured_at, incident_id, user, device, rule_id, rule_name AS rule, severity,
       state, withdrawn_at, withdrawn_reason, kind, channel, recipient, status, attempts,
       first_attempt_at, last_attempt_at,
       round(epoch(last_attempt_at) - epoch(first_captured_at), 3) AS latency_seconds,
       error
FROM deliveries;
COMMENT ON VIEW delivery_history IS 'What each customer was told about each incident and how it went: one row per notification, PagerDuty resolve and digest, withdrawn incidents included.';
COMMENT ON COLUMN delivery_history.day IS 'The UTC day of the incident''s first frame.';
COMMENT ON COLUMN delivery_history.first_captured_at IS 'Capture time of the incident''s first frame, UTC.';
COMMENT ON COLUMN delivery_history.incident_id IS 'The incident.';
COMMENT ON COLUMN delivery_history.user IS 'The camera''s owner.';
COMMENT ON COLUMN delivery_history.device IS 'The camera.';
COMMENT ON COLUMN delivery_history.rule_id IS 'The rule whose matches made the incident.';
COMMENT ON COLUMN delivery_history.rule IS 'The rule''s name.';
COMMENT ON COLUMN delivery_history.severity IS 'critical, error, warning or info.';
COMMENT ON COLUMN delivery_history.state IS 'active, or withdrawn by a later model or rules commit.';
COMMENT ON COLUMN delivery_history.withdrawn_at IS 'When the incident was found gone, UTC.';
COMMENT ON COLUMN delivery_history.withdrawn_reason IS 'Why it was withdrawn.';
COMMENT ON COLUMN delivery_history.kind IS 'notification, resolve or digest; NULL when every notification was skipped.';
COMMENT ON COLUMN delivery_history.channel IS 'email, pagerduty or webhook.';
COMMENT ON COLUMN delivery_history.recipient IS 'Email: the masked address; PagerDuty: the routing key''s variable name; webhook: the URL without query or credentials.';
COMMENT ON COLUMN delivery_history.status IS 'sent, failed or held (over the user''s hourly cap: see the digest rows).';
COMMENT ON COLUMN delivery_history.attempts IS 'API calls made.';
COMMENT ON COLUMN delivery_history.first_attempt_at IS 'The first attempt, UTC.';
COMMENT ON COLUMN delivery_history.last_attempt_at IS 'The last attempt, UTC.';
COMMENT ON COLUMN delivery_history.latency_seconds IS 'Seconds from the first frame''s capture to the last attempt, rounded to the millisecond.';
COMMENT ON COLUMN delivery_history.error IS 'A network failure, or why the delivery was held.';

CREATE VIEW days AS
SELECT DISTINCT day FROM (
  SELECT day FROM detections
  UNION ALL SELECT day FROM matches
  UNION ALL SELECT day FROM frames_rejected
  UNION ALL SELECT day FROM alerts
  UNION ALL SELECT day FROM deliveries
)
WHERE day IS NOT NULL;
COMMENT ON VIEW days IS 'Every UTC day that has a record: the days with a daily report.';
COMMENT ON COLUMN days.day IS 'The UTC day.';
