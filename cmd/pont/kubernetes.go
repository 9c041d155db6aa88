package main

import (
	"context"

	"github.com/pont-dev/pont/plugins"
	"github.com/pont-dev/pont/plugins/kubernetes"
)

// startKubernetes starts the Kubernetes plugin when clusters are
// configured, and returns its inventory (nil otherwise). The plugin writes
// its entities into the catalog through the store, as a provider.
func (a *app) startKubernetes(ctx context.Context) (plugins.Inventory, error) {
	if len(a.cfg.Kubernetes.Clusters) == 0 {
		return nil, nil
	}

	p, err := kubernetes.New(kubernetes.Options{
		Config: a.cfg.Kubernetes, Store: a.store, Log: a.log.With("component", "kubernetes"),
	})
	if err != nil {
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, err
	}
	a.kube = p
	a.log.Info("kubernetes plugin started", "clusters", len(a.cfg.Kubernetes.Clusters), "argocdNamespace", a.cfg.Kubernetes.ArgoCD.Namespace)
	return p, nil
}
