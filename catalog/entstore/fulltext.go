package entstore

import (
	"context"
	"errors"

	"github.com/pont-dev/pont/catalog"
)

// SearchText is the full-text search (to be built: FTS5 / tsvector).
func (s *Store) SearchText(ctx context.Context, q catalog.TextQuery) (*catalog.TextPage, error) {
	return nil, errors.New("full-text search: not built yet")
}

// SubscribeChanges delivers committed changes (to be built).
func (s *Store) SubscribeChanges(buffer int) (<-chan catalog.ChangeBatch, func()) {
	ch := make(chan catalog.ChangeBatch)
	return ch, func() {}
}
