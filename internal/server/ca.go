package server

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/breeze-rmm/breeze/adapters/http/agentws"
	"github.com/breeze-rmm/breeze/core/app/agentca"
	"github.com/breeze-rmm/breeze/core/app/tickets"
	"github.com/breeze-rmm/breeze/internal/config"
	"github.com/breeze-rmm/breeze/ports"
	"github.com/breeze-rmm/breeze/protocol"
)

// BuildCA builds the agents' certificate authority on st; its key is
// sealed with the secrets key (BREEZE_PLUGIN_SECRET_KEY), which every node
// shares. The CA itself is created on first use. hub (nil in the CLI)
// holds this node's links: when a rotation is seen, they are asked to
// renew now.
func BuildCA(cfg *config.Config, log hclog.Logger, st ports.Store, sealer agentca.Sealer, hub *agentws.Hub) (*agentca.Service, error) {
	log = log.Named("agentca")
	var onRotate func()
	if hub != nil {
		onRotate = func() {
			n := hub.SendAll(protocol.Header{Type: protocol.TypeCertRenew})
			log.Info("agent CA rotated: linked agents asked to renew", "agents", n)
		}
	}
	return agentca.New(agentca.Deps{Store: st, Sealer: sealer, Logger: log,
		CertTTL: cfg.AgentCertTTL, RequireAll: cfg.AgentMTLS == "required", OnRotate: onRotate})
}

// FollowPartnerRules drops ca's cached mutual-TLS switches whenever any
// node announces a change of everyone's access (a partner's switch is one,
// tenancy.UpdatePartner), and when the announcements may have been missed:
// another node's switch then governs this node's new links at once, not
// after the cache's Refresh. Until ctx ends.
func FollowPartnerRules(ctx context.Context, bus ports.Bus, ca *agentca.Service) {
	tickets.FollowRevocations(ctx, bus, func(r tickets.Revocation) {
		if r.Access && r.UserID == "" {
			ca.ForgetPartners()
		}
	}, ca.ForgetPartners)
}

// serverTLS is the node's own TLS (BREEZE_TLS_CERT): a client certificate
// is asked for and, when given, verified against the agent CAs trusted now
// (both roots during a rotation); the agent endpoint then checks that it
// names the device and is not revoked. Browsers send none and are not
// bothered.
func serverTLS(cert tls.Certificate, ca *agentca.Service, log hclog.Logger) *tls.Config {
	base := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		ClientAuth: tls.VerifyClientCertIfGiven}
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		ctx, cancel := context.WithTimeout(hello.Context(), 5*time.Second)
		defer cancel()
		pool, err := ca.Pool(ctx)
		if err != nil {
			// No roots: no client certificate verifies, so links that need
			// one are refused; everything else works.
			log.Warn("agent CA roots unavailable for the TLS handshake", "error", err)
			c := base.Clone()
			c.GetConfigForClient = nil
			c.ClientAuth = tls.NoClientCert
			return c, nil
		}
		c := base.Clone()
		c.GetConfigForClient = nil
		c.ClientCAs = pool
		return c, nil
	}
	return base
}
