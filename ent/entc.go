//go:build ignore

// entc.go generates the ent data layer and, through entgql, the GraphQL
// schema of the stored types (graph/ent.graphqls) and their connections,
// orderings and where filters. Run by `go generate ./ent`.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ex, err := entgql.NewExtension(
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("../graph/ent.graphqls"),
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithWhereInputs(true),
		entgql.WithRelaySpec(true),
	)
	if err != nil {
		log.Fatalf("entgql: %v", err)
	}
	err = entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{gen.FeatureUpsert, gen.FeatureExecQuery, gen.FeatureModifier, gen.FeaturePrivacy},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("ent: %v", err)
	}
}
