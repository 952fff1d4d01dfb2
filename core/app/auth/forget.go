package auth

import (
	"context"

	"github.com/breeze-rmm/breeze/core/domain"
)

// ForgetFirst is the domain.Revocations to give the services that change
// identities: it drops the concerned entries of this node's PrincipalCache
// before the change is answered, then tells Next (the bus, from which the
// other nodes' caches forget them too: ForgetRevoked).
type ForgetFirst struct {
	Cache *PrincipalCache
	Next  domain.Revocations // may be nil
}

// SessionEnded implements domain.Revocations.
func (f ForgetFirst) SessionEnded(ctx context.Context, sessionID string) {
	if sessionID != "" {
		f.Cache.Forget("", sessionID)
	}
	if f.Next != nil {
		f.Next.SessionEnded(ctx, sessionID)
	}
}

// UserEnded implements domain.Revocations.
func (f ForgetFirst) UserEnded(ctx context.Context, userID string) {
	if userID != "" {
		f.Cache.Forget(userID, "")
	}
	if f.Next != nil {
		f.Next.UserEnded(ctx, userID)
	}
}

// AccessChanged implements domain.Revocations.
func (f ForgetFirst) AccessChanged(ctx context.Context, userID string) {
	f.Cache.Forget(userID, "") // "": everyone's
	if f.Next != nil {
		f.Next.AccessChanged(ctx, userID)
	}
}
