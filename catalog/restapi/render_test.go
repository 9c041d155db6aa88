package restapi

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestProject(t *testing.T) {
	entity := []byte(`{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"a","namespace":"default","labels":{"x":"1"}},"spec":{"type":"service","owner":"team"},"relations":[{"type":"ownedBy","targetRef":"group:default/team"}]}`)
	cases := []struct {
		fields []string
		want   string
	}{
		{[]string{"kind", "metadata.name", "relations"}, `{"kind":"Component","metadata":{"name":"a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team"}]}`},
		{[]string{"metadata", "metadata.name"}, `{"metadata":{"name":"a","namespace":"default","labels":{"x":"1"}}}`},
		{[]string{"metadata.name", "metadata"}, `{"metadata":{"name":"a","namespace":"default","labels":{"x":"1"}}}`},
		{[]string{"metadata.labels.x", "spec.nope", "kind.deeper"}, `{"metadata":{"labels":{"x":"1"}}}`},
		{[]string{"nothing"}, `{}`},
	}
	for _, tc := range cases {
		got, err := project(entity, tc.fields)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		json.Unmarshal(got, &g)
		json.Unmarshal([]byte(tc.want), &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("fields %v: got %s, want %s", tc.fields, got, tc.want)
		}
	}
}
