-- The numbers of one day's report (/daily/<day>.json and .html), over the views of views.sql.
-- Each query is named by the `-- name:` line above it, takes the day as $day (a DATE) and
-- returns the fields of specs/daily-report.schema.json under the same names, but framesPerCamera:
-- the report's core keeps the cameras of it that no subscription names (unsubscribedCameras).

-- name: totals
SELECT
  (SELECT count(*) FROM frames_analysed WHERE day = $day)::INTEGER AS "framesAnalysed",
  (SELECT coalesce(sum(unmatched_frames), 0) FROM unmatched_daily WHERE day = $day)::INTEGER AS "unmatchedFrames",
  (SELECT coalesce(sum(threats), 0) FROM daily_threats WHERE day = $day)::INTEGER AS "threats",
  (SELECT count(DISTINCT user) FROM daily_threats WHERE day = $day)::INTEGER AS "usersWithThreats",
  (SELECT count(DISTINCT (user, device)) FROM daily_threats WHERE day = $day)::INTEGER AS "devicesWithThreats",
  (SELECT count(DISTINCT path) FROM frames_rejected WHERE day = $day)::INTEGER AS "rejectedFrames",
  (SELECT count(DISTINCT incident_id) FROM alerts WHERE day = $day)::INTEGER AS "incidents",
  (SELECT count(*) FROM deliveries WHERE day = $day AND kind = 'notification' AND status = 'sent')::INTEGER AS "alertsSent",
  (SELECT count(*) FROM deliveries WHERE day = $day AND kind = 'notification' AND status = 'failed')::INTEGER AS "alertsFailed";

-- name: threatsByUser
SELECT user, threats, devices, critical, error, warning, info
FROM threats_by_user
WHERE day = $day
ORDER BY threats DESC, user;

-- name: threatsByHour
SELECT h.hour::INTEGER AS hour, count(m.captured_at)::INTEGER AS threats
FROM range(24) AS h(hour)
LEFT JOIN matches m ON m.day = $day AND hour(m.captured_at) = h.hour
GROUP BY h.hour
ORDER BY h.hour;

-- name: topDevices
SELECT user, device, sum(threats)::INTEGER AS threats
FROM daily_threats
WHERE day = $day
GROUP BY user, device
ORDER BY threats DESC, user, device
LIMIT 10;

-- name: threatsByRule
SELECT rule_id AS "ruleId", rule, severity, sum(threats)::INTEGER AS threats
FROM daily_threats
WHERE day = $day
GROUP BY rule_id, rule, severity
ORDER BY threats DESC, rule_id;

-- name: rejectionReasons
SELECT code, count(DISTINCT path)::INTEGER AS frames
FROM frames_rejected
WHERE day = $day
GROUP BY code
ORDER BY frames DESC, code;

-- name: alertOutcomes
SELECT channel, status, count(*)::INTEGER AS deliveries
FROM deliveries
WHERE day = $day AND kind = 'notification'
GROUP BY channel, status
ORDER BY channel, status;

-- name: alertLatency
SELECT channel, delivered, p50_seconds AS "p50Seconds", p90_seconds AS "p90Seconds",
       p99_seconds AS "p99Seconds", max_seconds AS "maxSeconds"
FROM alert_latency_daily
WHERE day = $day
ORDER BY channel;

-- name: framesPerCamera
SELECT user, device, count(*)::INTEGER AS frames
FROM frames_analysed
WHERE day = $day
GROUP BY user, device
ORDER BY user, device;
