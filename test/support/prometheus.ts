/** A metric family as parse-prometheus-text-format returns it (prom2json's shape). */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }>;
}

// The package ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheusTextFormat: (text: string) => MetricFamily[] = require('parse-prometheus-text-format');

/** Parsed Prometheus text with lookups by name and labels (a parser, not a regex). */
export class Scrape {
  readonly families: MetricFamily[];
  /**
   * The parser folds a histogram's series into one when they have labels (its flattening keeps
   * only unlabelled _count/_sum), so histograms are also read as untyped samples, where each
   * `<name>_count{labels}` line stays a sample of its own.
   */
  private readonly untyped: MetricFamily[];

  constructor(text: string) {
    this.families = parsePrometheusTextFormat(text);
    this.untyped = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'));
  }

  family(name: string): MetricFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  private sample(name: string, labels: Record<string, string>) {
    return this.family(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  }

  /** A counter's or gauge's value; 0 when the series does not exist yet. */
  value(name: string, labels: Record<string, string> = {}): number {
    return Number(this.sample(name, labels)?.value ?? 0);
  }

  /** A histogram's observation count; 0 when the series does not exist yet. */
  count(name: string, labels: Record<string, string> = {}): number {
    const sample = this.untyped
      .filter((f) => f.name === `${name}_count`)
      .flatMap((f) => f.metrics)
      .find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return Number(sample?.value ?? 0);
  }
}
