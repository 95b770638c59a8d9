-- The warehouse's views, over the tables of tables.sql. Days and hours are UTC.
-- Counts are INTEGER so they read as plain numbers in every client.

-- Threats (rules that fired on a frame) per day, user, device and rule.
CREATE VIEW daily_threats AS
SELECT CAST(captured_at AS DATE) AS day, user, device, rule_id, rule_name AS rule, severity,
       count(*)::INTEGER AS threats
FROM matches
GROUP BY ALL;

-- Threats per day and user, with the split by severity.
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

-- Frames refused per day, camera and reason (a frame refused for two reasons counts under both).
CREATE VIEW rejections_by_reason AS
SELECT CAST(captured_at AS DATE) AS day, user, device, code, count(DISTINCT path)::INTEGER AS frames
FROM frames_rejected
GROUP BY ALL;

-- Every delivery that reached the customer, with the time from the incident's first frame to
-- the accepted attempt.
CREATE VIEW delivery_latency AS
SELECT CAST(first_captured_at AS DATE) AS day, channel, incident_id, user, device,
       epoch(last_attempt_at) - epoch(first_captured_at) AS latency_seconds
FROM alerts
WHERE status = 'sent' AND last_attempt_at IS NOT NULL;

-- Capture-to-delivery time per channel, over every sent alert.
CREATE VIEW alert_latency AS
SELECT channel,
       count(*)::INTEGER AS delivered,
       quantile_cont(latency_seconds, 0.5) AS p50_seconds,
       quantile_cont(latency_seconds, 0.9) AS p90_seconds,
       quantile_cont(latency_seconds, 0.99) AS p99_seconds,
       max(latency_seconds) AS max_seconds
FROM delivery_latency
GROUP BY channel;

-- The same per day.
CREATE VIEW alert_latency_daily AS
SELECT day, channel,
       count(*)::INTEGER AS delivered,
       quantile_cont(latency_seconds, 0.5) AS p50_seconds,
       quantile_cont(latency_seconds, 0.9) AS p90_seconds,
       quantile_cont(latency_seconds, 0.99) AS p99_seconds,
       max(latency_seconds) AS max_seconds
FROM delivery_latency
GROUP BY day, channel;

-- One row per analysed frame (detection record), with its object count. Grouped by every
-- column of the record (all set by its path) so that a filter on the day reaches the table.
CREATE VIEW frames_analysed AS
SELECT path, repo, sha256, commit, user, device, captured_at, count(label)::INTEGER AS objects
FROM detections
GROUP BY path, repo, sha256, commit, user, device, captured_at;

-- Analysed frames per day and camera, and those on which no rule fired, with their objects
-- (what the cameras saw that no rule cared about).
CREATE VIEW unmatched_daily AS
SELECT CAST(f.captured_at AS DATE) AS day, f.user, f.device,
       count(*)::INTEGER AS frames,
       count(*) FILTER (WHERE m.detection_path IS NULL)::INTEGER AS unmatched_frames,
       coalesce(sum(f.objects) FILTER (WHERE m.detection_path IS NULL), 0)::INTEGER AS unmatched_objects
FROM frames_analysed f
LEFT JOIN (SELECT DISTINCT detection_path FROM matches) m ON m.detection_path = f.path
GROUP BY ALL;

-- Every UTC day that has any record: the days the report step writes a report for.
CREATE VIEW days AS
SELECT DISTINCT day FROM (
  SELECT CAST(captured_at AS DATE) AS day FROM detections
  UNION ALL SELECT CAST(captured_at AS DATE) FROM matches
  UNION ALL SELECT CAST(captured_at AS DATE) FROM frames_rejected
  UNION ALL SELECT CAST(first_captured_at AS DATE) FROM alerts
)
WHERE day IS NOT NULL;
