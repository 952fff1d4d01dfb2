package sdk

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"time"
)

// PostOptions tune PostJSON; zero values take the defaults.
type PostOptions struct {
	// Header holds extra request headers (Content-Type is always JSON).
	Header http.Header
	// Attempts is the number of tries, first included (default 3).
	Attempts int
	// Backoff is the delay before the second try, doubled after each
	// (default 500 ms). A 429's Retry-After, up to MaxRetryAfter, wins.
	Backoff time.Duration
	// Timeout bounds each try, answer included (default 10 s).
	Timeout time.Duration
}

// PostResult is PostJSON's outcome: the SendResult to report and the last
// answer, if any, for channels that read it (an API's error message).
type PostResult struct {
	SendResult
	StatusCode int    // 0: no answer
	Body       []byte // the last answer's body, cut at MaxAnswerBody
}

const (
	// MaxAnswerBody is how much of an answer's body PostJSON keeps.
	MaxAnswerBody = 64 << 10
	// MaxRetryAfter caps how long PostJSON honours a Retry-After.
	MaxRetryAfter = 10 * time.Second
	// maxRedirects bounds the same-host redirects PostJSON follows.
	maxRedirects = 3
)

// PostJSON POSTs body to url through the host's egress (HTTPClient), the
// way alert channels deliver: a 2xx answer is delivered; 429, 5xx and a
// failed exchange are tried again with exponential backoff; any other
// answer is final. Redirects are followed to the same host only (at most
// 3): a receiver cannot bounce a notification, and its secret URL, to a
// third party. A failed exchange reads "delivery failed", as the host
// says (its detail stays in the host's log). The error is non-nil only
// when ctx ends.
func PostJSON(ctx context.Context, h Host, url string, body []byte, o PostOptions) (PostResult, error) {
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	client := HTTPClient(h)
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects || req.URL.Host != via[0].URL.Host {
			return http.ErrUseLastResponse // the 3xx is then the answer: final
		}
		return nil
	}
	var res PostResult
	delay := o.Backoff
	for attempt := 1; attempt <= o.Attempts; attempt++ {
		res.Attempts = attempt
		retry, wait := postOnce(ctx, client, url, body, o, &res)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if res.Delivered || !retry || attempt == o.Attempts {
			break
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(max(delay, wait)):
		}
		delay *= 2
	}
	return res, nil
}

// postOnce makes one try and records its outcome in res. It says whether
// a failure is worth another try and how long the receiver asked to wait.
func postOnce(ctx context.Context, client *http.Client, url string, body []byte, o PostOptions, res *PostResult) (retry bool, wait time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	res.StatusCode, res.Body = 0, nil
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		res.Detail = "bad URL"
		return false, 0
	}
	for k, v := range o.Header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		res.Detail = ErrDeliveryFailed.Error()
		return true, 0
	}
	defer resp.Body.Close()
	res.Body, _ = io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBody))
	res.StatusCode, res.Detail = resp.StatusCode, resp.Status
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res.Delivered = true
		return false, 0
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Detail = resp.Status + " (redirect not followed)"
		return false, 0
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = min(time.Duration(s)*time.Second, MaxRetryAfter)
		}
		return true, wait
	}
	return false, 0
}
