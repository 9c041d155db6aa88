package auth

import (
	"testing"

	"github.com/pont-dev/pont/internal/auth/principal"
	"github.com/pont-dev/pont/internal/config"
)

// TestActionPermissions: who may run an action, see, approve and cancel a
// run. Nobody approves their own run, admins included.
func TestActionPermissions(t *testing.T) {
	pol := NewPolicy(config.Policy{AdminGroups: []string{"group:default/platform"}})
	person := func(subject string, groups ...string) *principal.Principal {
		p := &principal.Principal{Kind: principal.Session, Subject: subject, User: "user:default/" + subject}
		for _, g := range groups {
			p.Groups = append(p.Groups, "group:default/"+g)
		}
		pol.Apply(p)
		return p
	}
	alice, bob, carol, admin := person("alice", "team-a"), person("bob", "team-a"), person("carol", "team-b"), person("root", "platform")
	readOnly := person("alice", "team-a")
	readOnly.Kind, readOnly.Scopes = principal.Token, []string{principal.ScopeRead}
	run := Resource{Name: "run-1", Owners: []string{"group:default/team-a"}, CreatedBy: "alice"}
	dba := run
	dba.Approvers = []string{"group:default/dba"}
	dbaMember := person("dora", "dba")
	for _, c := range []struct {
		who  *principal.Principal
		perm Permission
		res  Resource
		ok   bool
	}{
		{alice, RunAction, run, true},
		{carol, RunAction, run, false},
		{admin, RunAction, run, true},
		{readOnly, RunAction, run, false},
		{alice, ReadRun, run, true},
		{bob, ReadRun, run, true},
		{carol, ReadRun, run, false},
		{alice, ApproveRun, run, false}, // her own run
		{bob, ApproveRun, run, true},    // an owner
		{carol, ApproveRun, run, false},
		{admin, ApproveRun, run, true},
		{admin, ApproveRun, Resource{Name: "run-2", CreatedBy: "root", Owners: run.Owners}, false},
		{bob, ApproveRun, dba, false},
		{dbaMember, ApproveRun, dba, true},
		{alice, CancelRun, run, true},
		{bob, CancelRun, run, false},
		{admin, CancelRun, run, true},
	} {
		err := pol.Authorize(c.who, c.perm, c.res)
		if (err == nil) != c.ok {
			t.Errorf("%s %s on %+v: %v, want allowed=%v", c.who.Subject, c.perm, c.res, err, c.ok)
		}
	}
}
