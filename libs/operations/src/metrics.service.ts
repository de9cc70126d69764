import { Inject, Injectable } from '@nestjs/common';
import { Meters } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { StateGauges } from './state-gauges';

export interface Scrape {
  contentType: string;
  body: string;
}

/**
 * The Prometheus text of this instance. A scrape is reused for METRICS_CACHE_MS (a second by
 * default) and concurrent scrapes share one rendering, so scrapers in a loop cost one database
 * read and one rendering per second, not one per request.
 */
@Injectable()
export class MetricsService {
  private cached?: { at: number; scrape: Promise<Scrape> };

  constructor(
    private readonly meters: Meters,
    private readonly gauges: StateGauges,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  scrape(): Promise<Scrape> {
    // The wall clock: this is about load, not about the business clock tests move.
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.config.metrics.cacheMs) {
      const scrape = this.render();
      this.cached = { at: now, scrape };
      scrape.catch(() => {
        if (this.cached?.scrape === scrape) this.cached = undefined;
      });
    }
    return this.cached.scrape;
  }

  private async render(): Promise<Scrape> {
    await this.gauges.refresh();
    return { contentType: this.meters.registry.contentType, body: await this.meters.registry.metrics() };
  }
}
