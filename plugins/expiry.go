package plugins

import (
	"context"
	"time"
)

// Expirer is implemented by a plugin whose provisioned things expire: an
// environment created with a TTL. The runner asks every Expirer on a
// schedule (one replica at a time), warns before an item expires and, once
// it has, tears it down by running Expiry.Action on Expiry.Target — a run
// like any other, logged and audited, acting as the person whose run set
// the expiry (Expiry.SetBy), so that the cluster's RBAC still decides.
type Expirer interface {
	// Expiring lists the items that carry an expiry, from memory.
	Expiring() []Expiry
	// Warn tells the item's users that it expires soon, acting as actor
	// (the Kubernetes plugin writes a Warning event in the namespace).
	// It must be idempotent: it may be called again for the same expiry.
	Warn(ctx context.Context, e Expiry, actor Actor) error
}

// Expiry is one item with an expiry.
type Expiry struct {
	// Target is the catalog entity ref of the item.
	Target string
	// Action is the id of the action that tears it down; it runs on
	// Target with an empty input and needs no approval (the expiry was
	// part of an approved request).
	Action string
	// ExpiresAt is when the item is torn down.
	ExpiresAt time.Time
	// SetBy is the id of the run that set the expiry (created or
	// extended the item): the teardown acts as that run's requester.
	SetBy string
	// Pending is set while the item cannot be torn down (its cluster
	// does not answer, or it is being deleted already): the runner waits.
	Pending bool
}
