package provision

import (
	"context"
	"crypto/rand"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// EnsurePasswordSecret creates the Secret ns/name holding a new random
// password under the key "password", as the user of cfg, unless it exists:
// a second call (another attempt of the run) keeps the first password, and
// a Secret the team made themselves is left as it is. The password is
// never returned, logged or kept by Pont. It reports whether it created
// the Secret. A Forbidden is a *DeniedError.
func EnsurePasswordSecret(ctx context.Context, cfg *rest.Config, ns, name string) (bool, error) {
	cs, err := k8s.NewForConfig(cfg)
	if err != nil {
		return false, err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Annotations: map[string]string{AnnotationManagedBy: ManagedByPont}},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{"password": rand.Text()},
	}
	_, err = cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{FieldManager: FieldManager})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsAlreadyExists(err):
		return false, nil
	case apierrors.IsForbidden(err):
		return false, &DeniedError{Object: "Secret " + ns + "/" + name, Message: err.Error(), Err: err}
	default:
		return false, fmt.Errorf("create Secret %s/%s: %w", ns, name, err)
	}
}
