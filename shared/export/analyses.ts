/**
 * The example analyses published in docs/export.md, in the SQL that Athena (Trino) and DuckDB
 * share: no approx_percentile (Trino only), no percentile_cont (DuckDB only), no integer `/`
 * (it truncates in Trino, not in DuckDB). The integration tests run each one against exported
 * sample traffic, and a unit test checks docs/export.md carries them verbatim.
 *
 * `threads` holds one row per thread per day it had activity; `latest` keeps each thread's
 * newest state (greatest state_revision).
 */
const LATEST_THREADS = `WITH latest AS (
  SELECT * FROM (
    SELECT t.*, row_number() OVER (PARTITION BY id ORDER BY state_revision DESC, dt DESC) AS rn
    FROM threads t
  ) ranked
  WHERE rn = 1
)`;

export const EXAMPLE_ANALYSES = {
  questionsPerPlatformPerWeek: `-- Questions asked per platform per week (weeks start on Monday, UTC)
SELECT source, date_trunc('week', occurred_at) AS week, count(*) AS questions
FROM activities
WHERE kind = 'thread_opened' AND is_question
GROUP BY source, date_trunc('week', occurred_at)
ORDER BY week, source`,

  medianFirstResponsePerWeekAndChannel: `-- Median hours to first response, per week of asking and channel (exact median, portable)
${LATEST_THREADS},
responded AS (
  SELECT date_trunc('week', created_at) AS week, channel_name,
         date_diff('second', created_at, first_response_at) / 3600.0 AS hours
  FROM latest
  WHERE is_question AND first_response_at IS NOT NULL
),
ranked AS (
  SELECT week, channel_name, hours,
         row_number() OVER (PARTITION BY week, channel_name ORDER BY hours) AS pos,
         count(*) OVER (PARTITION BY week, channel_name) AS n
  FROM responded
)
SELECT week, channel_name, avg(hours) AS median_hours, max(n) AS responded
FROM ranked
WHERE pos IN (floor((n + 1) / 2.0), floor((n + 2) / 2.0))
GROUP BY week, channel_name
ORDER BY week, channel_name`,

  answerRateWithinSla: `-- Share of questions first answered within the SLA (24 h here), per week of asking
${LATEST_THREADS}
SELECT date_trunc('week', created_at) AS week,
       count(*) AS questions,
       count_if(first_response_at IS NOT NULL
                AND date_diff('second', created_at, first_response_at) <= 24 * 3600) AS within_sla,
       count_if(first_response_at IS NOT NULL
                AND date_diff('second', created_at, first_response_at) <= 24 * 3600) * 1.0 / count(*) AS rate
FROM latest
WHERE is_question
GROUP BY date_trunc('week', created_at)
ORDER BY week`,

  topHelpers: `-- Top helpers: people outside the team who were first to respond to a question
${LATEST_THREADS}
SELECT first_responder_login AS helper, count(*) AS first_responses
FROM latest
WHERE is_question AND first_responder_id IS NOT NULL AND NOT first_responder_is_team
GROUP BY first_responder_login
ORDER BY first_responses DESC, helper
LIMIT 10`,

  firstTimeAskersWithoutAnswer: `-- First-time askers whose first question got no response at all
${LATEST_THREADS},
firsts AS (
  SELECT author_id, min(created_at) AS first_asked
  FROM latest
  WHERE is_question AND author_id IS NOT NULL
  GROUP BY author_id
)
SELECT l.author_login AS asker, l.title, l.created_at, l.status
FROM latest l
JOIN firsts f ON f.author_id = l.author_id AND f.first_asked = l.created_at
WHERE l.is_question AND l.first_response_at IS NULL
ORDER BY l.created_at`,
} as const;

export type ExampleAnalysis = keyof typeof EXAMPLE_ANALYSES;
