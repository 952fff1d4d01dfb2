package storetest

import (
	"context"
	"time"

	"github.com/breeze-rmm/breeze/core/domain"
)

// The parts of the repositories the generic checks drive.

// getter reads one row in a scope.
type getter[T any] interface {
	Get(ctx context.Context, s domain.Scope, id string) (*T, error)
}

// getUpdater is a tenancy repository, for updateRoundTrip.
type getUpdater[T any] interface {
	getter[T]
	Update(ctx context.Context, s domain.Scope, x *T) (*T, error)
}

// revocable is a key repository (API keys, enrolment keys), for
// revocableVisibility.
type revocable[T any] interface {
	getter[T]
	List(ctx context.Context, s domain.Scope, page domain.PageRequest) (domain.Page[*T], error)
	Revoke(ctx context.Context, s domain.Scope, id string, at time.Time) error
}
