/**
 * Series Prometheus itself writes for every scrape target (not the runtime): `up` is 1 when the
 * last scrape succeeded and 0 when it failed. Rules and dashboards name them from here, and the
 * PromQL checker accepts them with the target labels only.
 */
export const SCRAPE_SERIES = {
  up: 'up',
  scrapeDurationSeconds: 'scrape_duration_seconds',
  scrapeSamplesScraped: 'scrape_samples_scraped',
} as const;
