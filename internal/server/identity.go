package server

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	goredis "github.com/redis/go-redis/v9"

	"github.com/breeze-rmm/breeze/adapters/jwt"
	"github.com/breeze-rmm/breeze/adapters/memory"
	"github.com/breeze-rmm/breeze/adapters/password"
	redisad "github.com/breeze-rmm/breeze/adapters/redis"
	"github.com/breeze-rmm/breeze/adapters/secretbox"
	"github.com/breeze-rmm/breeze/core/app/access"
	"github.com/breeze-rmm/breeze/core/app/auth"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/core/domain"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
)

// Identity holds the identity services and what they run on.
type Identity struct {
	Auth    *auth.Service
	Access  *access.Service
	Hasher  *password.Hasher
	Limiter ports.RateLimiter
	// Secrets seals secrets at rest: second factors here, script parameters
	// and plugin settings on the remote-work side. One key per deployment
	// (BREEZE_PLUGIN_SECRET_KEY, or its key file), opened once.
	Secrets *secretbox.Box
	// Redis is the shared client when BREEZE_REDIS_URL is set (nil: the
	// in-process profile); the remote-work side reuses it.
	Redis goredis.UniversalClient
	// Bus joins the nodes (Redis pub/sub, or in process). It opens here
	// because ended sessions travel on it from the first sign-out; the
	// remote-work side reuses it.
	Bus ports.Bus
	// Revocations announces ended sessions and changed access (to this
	// node's principal cache, then over the bus); for the services outside
	// identity that change what users may do (tenancy).
	Revocations domain.Revocations
	close       []func() error
}

// Close releases the limiter and the Redis client.
func (id *Identity) Close() error {
	for i := len(id.close) - 1; i >= 0; i-- {
		_ = id.close[i]()
	}
	return nil
}

// Audience and issuer of Breeze access tokens.
const (
	tokenIssuer   = "breeze"
	tokenAudience = "breeze-api"
)

// BuildIdentity wires the credential adapters, the rate limiter (Redis when
// configured, else in process) and the auth and access services.
func BuildIdentity(ctx context.Context, cfg *config.Config, log hclog.Logger, st ports.Store) (*Identity, error) {
	id := &Identity{}
	keys, err := signingKeys(cfg)
	if err != nil {
		return nil, err
	}
	tokens, err := jwt.New(jwt.Options{Issuer: tokenIssuer, Audience: tokenAudience, TTL: 15 * time.Minute, Keys: keys})
	if err != nil {
		return nil, fmt.Errorf("access tokens: %w", err)
	}
	if id.Hasher, err = password.NewHasher(password.Options{}); err != nil {
		return nil, fmt.Errorf("password hasher: %w", err)
	}
	totp, err := password.NewTOTP(password.TOTPOptions{Issuer: "Breeze"})
	if err != nil {
		return nil, fmt.Errorf("totp: %w", err)
	}
	if cfg.RedisURL != "" {
		opts, err := goredis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("%w: BREEZE_REDIS_URL: %v", config.ErrConfig, err)
		}
		client := goredis.NewClient(opts)
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := client.Ping(pctx).Err(); err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("Redis at %s is unreachable: %w (start it or fix BREEZE_REDIS_URL)", opts.Addr, err)
		}
		id.close = append(id.close, client.Close)
		id.Redis = client
		id.Limiter = redisad.NewRateLimiter(redisad.RateLimiterDeps{Client: client, Prefix: cfg.RedisPrefix + "ratelimit:"})
		bus := redisad.NewBus(redisad.BusDeps{Client: client, Prefix: cfg.RedisPrefix + "bus:"})
		id.close = append(id.close, bus.Close)
		id.Bus = bus
		log.Info("rate limits and bus in Redis", "addr", opts.Addr)
	} else {
		ml := memory.NewRateLimiter(memory.RateLimiterOptions{})
		id.close = append(id.close, ml.Close)
		id.Limiter = ml
		mb := memory.NewBus(memory.BusOptions{})
		id.close = append(id.close, mb.Close)
		id.Bus = mb
	}
	// Sign-outs end terminals and event streams on every node; they and
	// access changes drop the principals cached for the users concerned,
	// here before the answer, on the other nodes when the bus tells them.
	principals := auth.NewPrincipalCache(cfg.AuthCacheTTL)
	id.Revocations = auth.ForgetFirst{Cache: principals,
		Next: tickets.BusRevocations{Bus: id.Bus, OnError: func(err error) { log.Warn("revocation not published", "error", err) }}}
	rev := id.Revocations
	if cfg.AuthCacheTTL > 0 {
		fctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		go tickets.FollowRevocations(fctx, id.Bus, func(r tickets.Revocation) { principals.Forget(r.UserID, r.SessionID) },
			func() { principals.Forget("", "") })
		id.close = append(id.close, func() error { stop(); return nil })
	}
	if id.Secrets, err = secretbox.Open(cfg.PluginSecretKey, cfg.DataDir); err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	if err := checkClusterKeys(ctx, st.ClusterKeys(), keys, id.Secrets, log); err != nil {
		return nil, err
	}
	clock := ports.ClockFunc(time.Now)
	if id.Auth, err = auth.New(auth.Deps{Store: st, Tokens: tokens, Hasher: id.Hasher, TOTP: totp, Limiter: id.Limiter,
		Sealer: id.Secrets, Clock: clock, RefreshTTL: RefreshTTL, Revocations: rev, Principals: principals}); err != nil {
		return nil, err
	}
	// Second factors stored in clear before sealing: SQL cannot seal them.
	if n, err := id.Auth.SealTOTPSecrets(ctx); err != nil {
		return nil, fmt.Errorf("seal second-factor secrets: %w", err)
	} else if n > 0 {
		log.Info("second-factor secrets sealed", "users", n)
	}
	if id.Access, err = access.New(access.Deps{Store: st, Hasher: id.Hasher, Clock: clock, Revocations: rev}); err != nil {
		return nil, err
	}
	return id, nil
}

// signingKeys come from BREEZE_JWT_SECRET (shared by every node of a
// cluster) or from a 0600 key file generated on first start.
func signingKeys(cfg *config.Config) (*jwt.KeySet, error) {
	if cfg.JWTSecret != "" {
		var previous [][]byte
		for _, p := range cfg.JWTPreviousSecrets {
			previous = append(previous, []byte(p))
		}
		ks, err := jwt.NewKeySet([]byte(cfg.JWTSecret), previous...)
		if err != nil {
			return nil, fmt.Errorf("%w: BREEZE_JWT_SECRET: %v", config.ErrConfig, err)
		}
		return ks, nil
	}
	ks, err := jwt.LoadOrCreateKeySet(filepath.Join(cfg.DataDir, "keys", "jwt.json"))
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return ks, nil
}
