package graph

// gqlgen reads gqlgen.yml at the repository root and graph/*.graphqls,
// including ent.graphqls that `go generate ./ent` writes first.
//go:generate go tool gqlgen generate
