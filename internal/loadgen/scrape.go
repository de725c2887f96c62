package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// scrapeTimeout bounds one GET /metrics.
const scrapeTimeout = 10 * time.Second

// scraper reads the service's counters from its Prometheus page.
type scraper struct {
	url    string
	client *http.Client
}

func newScraper(url string) *scraper {
	return &scraper{url: url, client: &http.Client{Timeout: scrapeTimeout}}
}

// scrape fetches and parses the page.
func (s *scraper) scrape(ctx context.Context) (ServiceCounters, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return ServiceCounters{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := s.client.Do(req)
	if err != nil {
		return ServiceCounters{}, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return ServiceCounters{}, fmt.Errorf("metrics: GET %s: %s", s.url, resp.Status)
	}
	ss, err := ParsePrometheusText(resp.Body, keepServiceSeries)
	if err != nil {
		return ServiceCounters{}, fmt.Errorf("metrics: %s: %w", s.url, err)
	}
	return ServiceCountersOf(ss)
}
